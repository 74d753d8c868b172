"""The wearable firmware, in Python, behind a pseudo-terminal (``rehab bridge emulate``).

The firmware's behaviour is :class:`protocol.device.DeviceModel` (the same model the
virtual BLE wearable serves): it answers HELLO_REQ and TIME_REQ, streams IMU batches after
START (ACK first, ERROR for rates and ranges it cannot do) and reports the battery. This
module frames its messages onto a pty and can misbehave on purpose: garbage
bytes between frames, flipped bits after the CRC, truncated and dropped frames, and an
unplug (the pty closes, the stable link name disappears, and after ``unplug_s`` a new
pty appears under it — as udev's /dev/rehab-* symlink would — with the device
rebooted). When the host
closes the port the emulator stops streaming, as the firmware does when DTR drops.

The samples are a simulated exercise (``sensors.sim``), streamed at the device's rate on
the emulator's clock: pass a :class:`~protocol.clock.ScaledClock` to run faster than real
time (the host must then use the same clock).
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

from protocol.clock import ScaledClock
from protocol.codec import FrameDecoder, encode_frame
from protocol.device import DeviceModel
from protocol.messages import ImuBatch, Message
from sensors.types import ImuChunk

log = logging.getLogger(__name__)

USB_POWER = 0x02  # BATTERY flags bit 1: on USB power (this device is plugged in)


@dataclass(frozen=True, slots=True)
class Faults:
    noise_prob: float = 0.0  # per frame: 1..16 garbage bytes before it
    crc_prob: float = 0.0  # per frame: one bit flipped after the CRC was computed
    drop_prob: float = 0.0  # per frame: never sent (its sequence number is used up)
    truncate_prob: float = 0.0  # per frame: cut short, trailing delimiter and all
    repeat_prob: float = 0.0  # per batch: sent again in a new frame (a firmware re-send)
    unplug_at_s: float | None = None  # seconds after the first START
    unplug_s: float = 2.0
    seed: int = 0


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
        self.link_path = Path(link_path) if link_path else None
        self.clock = clock or ScaledClock(1.0)
        self.faults = faults
        # The motion starts at the first START and goes on through unplugs and reboots.
        self.model = DeviceModel(exercise, rate_hz=rate_hz, device_id=device_id,
                                 boot_s=self.clock.now(), drift_ppm=drift_ppm,
                                 battery_flags=USB_POWER, battery_interval_s=battery_interval_s)
        self.rng = random.Random(faults.seed)
        self.write_times: dict[int, float] = {}  # first sample_seq of a batch -> monotonic
        self.frames_sent = 0
        self.frames_dropped = 0
        self.tx_overflows = 0  # frames lost because the host did not read in time
        self.batches_repeated = 0
        self.spoilt_batches: set[int] = set()  # sample_seq of batches dropped or corrupted
        self.true_first_s: dict[int, float] = {}  # sample_seq -> when it was really sampled
        self.unplugged = threading.Event()
        self.replugged = threading.Event()
        self._master: int | None = None
        self._slave_name = ""
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
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
        self.model.reboot(self.clock.now())
        self._seq = 0
        self._decoder = FrameDecoder()

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
        return self.model.device_us(self.clock.now() if t is None else t)

    def true_time(self, device_us: int) -> float:
        """When (on the emulator's clock) the device clock read ``device_us``."""
        return self.model.host_s(device_us)

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
            self.tx_overflows += 1
            log.debug("emulator TX buffer full; %d bytes dropped", len(data))

    def _emit_due(self, now: float) -> None:
        for msg in self.model.due(now):
            if isinstance(msg, ImuBatch):
                k = msg.sample_seq
                self.write_times[k] = time.monotonic()
                self.true_first_s[k] = self.true_time(msg.t_first_us)
                if not self._send(msg, faulty=True):
                    self.spoilt_batches.add(k)
                if self.faults.repeat_prob and self.rng.random() < self.faults.repeat_prob:
                    self._send(msg)
                    self.batches_repeated += 1
            else:
                self._send(msg, faulty=True)

    # ---- the loop ----

    def _run(self) -> None:
        while not self._stop.is_set():
            assert self._master is not None
            now = self.clock.now()
            f, t0 = self.faults, self.model.motion_t0_s
            if (f.unplug_at_s is not None and t0 is not None
                    and not self.unplugged.is_set() and now - t0 >= f.unplug_at_s):
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
                for reply in self.model.handle(frame.msg, frame.seq, self.clock.now()):
                    self._send(reply)
            self._emit_due(self.clock.now())

    def _host_gone(self) -> None:
        if self.model.streaming:
            log.info("emulator: host closed the port; streaming stops")
        self.model.stop_streaming()
        self._decoder = FrameDecoder()

    def _do_unplug(self) -> None:
        log.info("emulator: unplugged for %.1f s", self.faults.unplug_s)
        self._unplug()
        self.unplugged.set()
        self._stop.wait(self.clock.real_s(self.faults.unplug_s))
        self._boot()  # replugging a USB-powered board restarts it
        self._plug()
        self.replugged.set()
