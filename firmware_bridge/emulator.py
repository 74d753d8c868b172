"""The wearable firmware, in Python, behind a pseudo-terminal (``rehab bridge emulate``).

It speaks protocol version 1 exactly as hw/firmware/rehab_wearable does: answers
HELLO_REQ and TIME_REQ, streams IMU batches after START (ACK first, ERROR for rates
and ranges it cannot do), reports the battery, and can misbehave on purpose: garbage
bytes between frames, flipped bits after the CRC, truncated and dropped frames, and an
unplug (the pty closes, the stable link name disappears, and after ``unplug_s`` a new
pty appears under it — as udev's /dev/rehab-* symlink would — with the device
rebooted). When the host
closes the port the emulator stops streaming, as the firmware does when DTR drops.

The samples are a simulated exercise (``sensors.sim``), streamed at the device's rate on
the emulator's clock: pass a :class:`~.clock.ScaledClock` to run faster than real time
(the host must then use the same clock).
"""

from __future__ import annotations

import errno
import logging
import os
import pty
import random
import select
import threading
import time
import tty
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from firmware_bridge.clock import ScaledClock
from firmware_bridge.codec import FrameDecoder, encode_frame
from firmware_bridge.messages import (
    COUNTS_FULL_SCALE,
    MAX_BATCH_SAMPLES,
    PROTOCOL_VERSION,
    Ack,
    Battery,
    Error,
    ErrorCode,
    Hello,
    HelloReq,
    ImuBatch,
    Message,
    SensorDesc,
    SensorKind,
    Start,
    Stop,
    TimeReq,
    TimeResp,
)
from sensors.types import STANDARD_GRAVITY_M_S2, ImuChunk

log = logging.getLogger(__name__)

FW_VERSION = (0, 3, 1)
ACCEL_RANGES_G = (2, 4, 8, 16)  # LSM6DS3TR-C, datasheet table 3
GYRO_RANGES_DPS = (125, 250, 500, 1000, 2000)


@dataclass(frozen=True, slots=True)
class Faults:
    noise_prob: float = 0.0  # per frame: 1..16 garbage bytes before it
    crc_prob: float = 0.0  # per frame: one bit flipped after the CRC was computed
    drop_prob: float = 0.0  # per frame: never sent (its sequence number is used up)
    truncate_prob: float = 0.0  # per frame: cut short, trailing delimiter and all
    unplug_at_s: float | None = None  # seconds after the first START
    unplug_s: float = 2.0
    seed: int = 0


def to_counts(values: np.ndarray, full_scale: float) -> np.ndarray:
    """Physical values -> int16 counts at ``full_scale`` (saturating, like the sensor)."""
    return np.clip(np.rint(values * (COUNTS_FULL_SCALE / full_scale)), -32768, 32767).astype(
        np.int16)


class FirmwareEmulator:
    def __init__(
        self,
        exercise: ImuChunk,
        *,
        rate_hz: int = 100,
        link_path: str | Path | None = None,
        clock: ScaledClock | None = None,
        faults: Faults = Faults(),
        device_id: int = 0x5EED0000CAFE0001,
        battery_interval_s: float = 2.0,
        drift_ppm: float = 0.0,
    ) -> None:
        self.exercise = exercise
        self.rate_hz = rate_hz
        self.link_path = Path(link_path) if link_path else None
        self.clock = clock or ScaledClock(1.0)
        self.faults = faults
        self.device_id = device_id
        self.battery_interval_s = battery_interval_s
        self.drift_ppm = drift_ppm
        self.rng = random.Random(faults.seed)
        self.write_times: dict[int, float] = {}  # first sample_seq of a batch -> monotonic
        self.frames_sent = 0
        self.frames_dropped = 0
        self.spoilt_batches: set[int] = set()  # sample_seq of batches dropped or corrupted
        self.true_first_s: dict[int, float] = {}  # sample_seq -> when it was really sampled
        self.unplugged = threading.Event()
        self.replugged = threading.Event()
        self._master: int | None = None
        self._slave_name = ""
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._exercise_t0: float | None = None
        self._boot()

    # ---- lifecycle ----

    @property
    def port(self) -> str:
        """Where the host should open: the stable link if any, else the pty itself."""
        return str(self.link_path) if self.link_path else self._slave_name

    def start(self) -> FirmwareEmulator:
        self._plug()
        self._thread = threading.Thread(target=self._run, name="firmware-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
        self._unplug()

    def __enter__(self) -> FirmwareEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _boot(self) -> None:
        self._t_boot = self.clock.now()
        self._seq = 0
        self._decoder = FrameDecoder()
        self._streaming = False
        self._next_battery = self._t_boot

    def _plug(self) -> None:
        master, slave = pty.openpty()
        tty.setraw(slave)  # no echo, no line editing: a CDC-ACM port is a byte pipe
        self._slave_name = os.ttyname(slave)
        os.close(slave)  # the settings stay with the pty; master reads EIO until the host opens
        os.set_blocking(master, False)
        self._master = master
        if self.link_path:
            tmp = self.link_path.with_name(self.link_path.name + ".new")
            tmp.unlink(missing_ok=True)
            os.symlink(self._slave_name, tmp)
            os.replace(tmp, self.link_path)

    def _unplug(self) -> None:
        if self.link_path:
            self.link_path.unlink(missing_ok=True)
        if self._master is not None:
            os.close(self._master)
            self._master = None

    # ---- device behaviour ----

    def device_us(self, t: float | None = None) -> int:
        t = self.clock.now() if t is None else t
        return int((t - self._t_boot) * (1.0 + self.drift_ppm * 1e-6) * 1e6)

    def _send(self, msg: Message, *, faulty: bool = False) -> bool:
        """Send a frame, with the configured faults if ``faulty``; False if it was spoilt."""
        frame = encode_frame(msg, self._seq)
        self._seq = (self._seq + 1) & 0xFFFF
        f = self.faults
        intact = True
        if faulty and self.rng.random() < f.drop_prob:
            self.frames_dropped += 1
            return False
        if faulty and self.rng.random() < f.crc_prob:
            bad = bytearray(frame)
            i = self.rng.randrange(2, len(bad) - 1)
            bad[i] ^= 1 << self.rng.randrange(8)
            frame = bytes(bad)
            intact = False
        if faulty and self.rng.random() < f.truncate_prob:
            frame = frame[: self.rng.randrange(1, len(frame) - 1)]
            intact = False
        if faulty and self.rng.random() < f.noise_prob:
            frame = bytes(self.rng.randrange(256) for _ in range(self.rng.randint(1, 16))) + frame
        self._write(frame)
        self.frames_sent += 1
        return intact

    def _write(self, data: bytes) -> None:
        assert self._master is not None
        try:
            os.write(self._master, data)
        except BlockingIOError:  # nobody reading: the firmware's TX queue overflows too
            log.debug("emulator TX buffer full; %d bytes dropped", len(data))

    def _command(self, frame_msg: Message, seq: int) -> None:
        if isinstance(frame_msg, HelloReq):
            desc = SensorDesc(0, SensorKind.IMU6, 8, 1000, 416)
            self._send(Hello(PROTOCOL_VERSION, FW_VERSION, self.device_id, (desc,)))
        elif isinstance(frame_msg, TimeReq):
            self._send(TimeResp(frame_msg.request_id, self.device_us()))
        elif isinstance(frame_msg, Start):
            self._start(frame_msg, seq)
        elif isinstance(frame_msg, Stop):
            self._streaming = False
            self._send(Ack(0x11, seq, ErrorCode.OK))
        else:
            self._send(Error(ErrorCode.UNKNOWN_TYPE, 0, seq))

    def _start(self, cmd: Start, seq: int) -> None:
        code = ErrorCode.OK
        if cmd.rate_hz != self.rate_hz:
            code = ErrorCode.UNSUPPORTED_RATE
        elif cmd.accel_fs_g not in ACCEL_RANGES_G or cmd.gyro_fs_dps not in GYRO_RANGES_DPS:
            code = ErrorCode.UNSUPPORTED_RANGE
        elif not 1 <= cmd.batch_len <= MAX_BATCH_SAMPLES:
            code = ErrorCode.BAD_PAYLOAD
        self._send(Ack(0x10, seq, code))
        if code != ErrorCode.OK:
            self._send(Error(code, 0x10, cmd.rate_hz))
            return
        now = self.clock.now()
        if self._exercise_t0 is None:
            self._exercise_t0 = now
        self._cfg = cmd
        self._streaming = True
        self._stream_t0 = now
        self._stream_dev0 = self.device_us(now)
        self._stream_e0 = int(round((now - self._exercise_t0) * self.rate_hz))
        self._k = 0  # next sample_seq

    def true_time(self, device_us: int) -> float:
        """When (on the emulator's clock) the device clock read ``device_us``."""
        return self._t_boot + device_us * 1e-6 / (1.0 + self.drift_ppm * 1e-6)

    def _emit_due_batches(self, now: float) -> None:
        cfg = self._cfg
        period_us = int(round(1e6 / cfg.rate_hz))
        while self._streaming:
            n = cfg.batch_len
            t_first_us = self._stream_dev0 + self._k * period_us
            if self.true_time(t_first_us + (n - 1) * period_us) > now:
                return  # the device samples on its own (drifting) clock
            idx = np.minimum(self._stream_e0 + self._k + np.arange(n), len(self.exercise) - 1)
            acc = self.exercise.accel_m_s2[idx] / STANDARD_GRAVITY_M_S2
            gyr = np.degrees(self.exercise.gyro_rad_s[idx])
            counts = np.hstack([to_counts(acc, cfg.accel_fs_g), to_counts(gyr, cfg.gyro_fs_dps)])
            batch = ImuBatch(self._k, t_first_us, period_us, cfg.gyro_fs_dps, cfg.accel_fs_g, 0,
                             counts)
            self.write_times[self._k] = time.monotonic()
            self.true_first_s[self._k] = self.true_time(t_first_us)
            if not self._send(batch, faulty=True):
                self.spoilt_batches.add(self._k)
            self._k += n

    # ---- the loop ----

    def _run(self) -> None:
        while not self._stop.is_set():
            assert self._master is not None
            now = self.clock.now()
            f = self.faults
            if (f.unplug_at_s is not None and self._exercise_t0 is not None
                    and not self.unplugged.is_set() and now - self._exercise_t0 >= f.unplug_at_s):
                self._do_unplug()
                continue
            try:
                ready, _, _ = select.select([self._master], [], [], 0.002)
                data = os.read(self._master, 4096) if ready else b""
            except BlockingIOError:
                data = b""
            except OSError as exc:
                if exc.errno != errno.EIO:
                    raise
                self._host_gone()  # no process has the port open
                self._stop.wait(0.01)
                continue
            for frame in self._decoder.feed(data):
                self._command(frame.msg, frame.seq)
            now = self.clock.now()
            if self._streaming:
                self._emit_due_batches(now)
                if now >= self._next_battery:
                    self._send(Battery(3900, 80, 0x02), faulty=True)
                    self._next_battery = now + self.battery_interval_s

    def _host_gone(self) -> None:
        if self._streaming:
            log.info("emulator: host closed the port; streaming stops")
        self._streaming = False
        self._decoder = FrameDecoder()

    def _do_unplug(self) -> None:
        log.info("emulator: unplugged for %.1f s", self.faults.unplug_s)
        self._unplug()
        self.unplugged.set()
        self._stop.wait(self.clock.real_s(self.faults.unplug_s))
        self._boot()  # replugging a USB-powered board restarts it
        self._plug()
        self.replugged.set()
