"""The wearable firmware's protocol behaviour as a sans-I/O model (pure).

One model for every emulated device: the serial emulator (``firmware_bridge.emulator``,
behind a pseudo-terminal) and the virtual BLE wearable (``sensors.ble.virtual``, a GATT
server) both feed it the commands they receive and send what it answers, so they behave
alike by construction. It does what hw/firmware/rehab_wearable does: answers HELLO_REQ
and TIME_REQ, checks START (ACK first, then ERROR for a rate or range it cannot do),
streams IMU batches on its own (possibly drifting) clock and reports the battery.

The samples are a recorded or simulated motion (anything with ``accel_m_s2`` and
``gyro_rad_s`` arrays of shape (n, 3) sampled at ``rate_hz``): the sample sent for an
instant is the one the limb produced then, on the host clock, so a device that comes
back after an outage resumes where the limb is now. Time is passed in (host seconds).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from protocol.messages import (
    COUNTS_FULL_SCALE,
    MAX_BATCH_SAMPLES,
    PROTOCOL_VERSION,
    STANDARD_GRAVITY_M_S2,
    Ack,
    Battery,
    Error,
    ErrorCode,
    Hello,
    HelloReq,
    ImuBatch,
    Message,
    MsgType,
    SensorDesc,
    SensorKind,
    Start,
    Stop,
    TimeReq,
    TimeResp,
)

FW_VERSION = (0, 3, 1)
MAX_RATE_HZ = 416  # LSM6DS3TR-C output data rates step 104, 208, 416 Hz
ACCEL_RANGES_G = (2, 4, 8, 16)  # LSM6DS3TR-C, datasheet table 3
GYRO_RANGES_DPS = (125, 250, 500, 1000, 2000)
BATTERY_MV_EMPTY = 3100  # the model's voltage is linear in percent: 3.9 V at 80 %, 4.1 V full
BATTERY_MV_PER_PCT = 10


class Motion(Protocol):
    """The limb's samples (``sensors.types.ImuChunk`` fits): m/s² and rad/s, (n, 3) each."""

    @property
    def accel_m_s2(self) -> np.ndarray: ...

    @property
    def gyro_rad_s(self) -> np.ndarray: ...


def to_counts(values: np.ndarray, full_scale: float) -> np.ndarray:
    """Physical values -> int16 counts at ``full_scale`` (saturating, like the sensor)."""
    return np.clip(np.rint(values * (COUNTS_FULL_SCALE / full_scale)), -32768, 32767).astype(
        np.int16)


@dataclass(frozen=True, slots=True)
class _Stream:
    cfg: Start
    period_us: int
    dev0_us: int  # device clock at sample_seq 0


class DeviceModel:
    """One wearable's protocol side. ``boot_s``: host time at which its clock read 0."""

    def __init__(
        self,
        motion: Motion,
        *,
        rate_hz: int = 100,
        device_id: int = 0x5EED0000CAFE0001,
        fw_version: tuple[int, int, int] = FW_VERSION,
        boot_s: float = 0.0,
        drift_ppm: float = 0.0,
        battery_pct: int = 80,
        battery_flags: int = 0,
        battery_interval_s: float = 2.0,
        motion_t0_s: float | None = None,
    ) -> None:
        self.motion = motion
        self.rate_hz = rate_hz
        self.device_id = device_id
        self.hello = Hello(PROTOCOL_VERSION, fw_version, device_id,
                           (SensorDesc(0, SensorKind.IMU6, 8, 1000, MAX_RATE_HZ),))
        self.boot_s = boot_s
        self.drift = drift_ppm * 1e-6
        self.battery_pct = battery_pct
        self.battery_flags = battery_flags
        self.battery_interval_s = battery_interval_s
        self.motion_t0_s = motion_t0_s  # host time of motion sample 0; None: the first START
        self.start_cfg: Start | None = None  # the last START accepted
        self._stream: _Stream | None = None
        self._k = 0  # next sample_seq
        self._next_battery_s = 0.0

    # ---- clock ----

    def device_us(self, host_s: float) -> int:
        return int((host_s - self.boot_s) * (1.0 + self.drift) * 1e6)

    def host_s(self, device_us: float) -> float:
        """When (on the host clock) the device clock read ``device_us``."""
        return self.boot_s + device_us * 1e-6 / (1.0 + self.drift)

    def reboot(self, now: float) -> None:
        """Power cycled (a USB replug): the clock restarts and streaming stops."""
        self.boot_s = now
        self.stop_streaming()

    @property
    def streaming(self) -> bool:
        return self._stream is not None

    def stop_streaming(self) -> None:
        """The host went away (port closed, BLE disconnection): stop, as the firmware does."""
        self._stream = None

    def battery(self) -> Battery:
        mv = BATTERY_MV_EMPTY + BATTERY_MV_PER_PCT * self.battery_pct
        return Battery(mv, self.battery_pct, self.battery_flags)

    # ---- commands ----

    def handle(self, msg: Message, seq: int, now: float) -> list[Message]:
        """The answers to a command received as frame ``seq`` (0 where there are none)."""
        if isinstance(msg, HelloReq):
            return [self.hello]
        if isinstance(msg, TimeReq):
            return [TimeResp(msg.request_id, self.device_us(now))]
        if isinstance(msg, Start):
            return self._start(msg, seq, now)
        if isinstance(msg, Stop):
            self.stop_streaming()
            return [Ack(MsgType.STOP, seq, ErrorCode.OK)]
        return [Error(ErrorCode.UNKNOWN_TYPE, 0, seq)]

    def _start(self, cmd: Start, seq: int, now: float) -> list[Message]:
        code = ErrorCode.OK
        if cmd.rate_hz != self.rate_hz:
            code = ErrorCode.UNSUPPORTED_RATE
        elif cmd.accel_fs_g not in ACCEL_RANGES_G or cmd.gyro_fs_dps not in GYRO_RANGES_DPS:
            code = ErrorCode.UNSUPPORTED_RANGE
        elif not 1 <= cmd.batch_len <= MAX_BATCH_SAMPLES:
            code = ErrorCode.BAD_PAYLOAD
        ack = Ack(MsgType.START, seq, code)
        if code != ErrorCode.OK:
            return [ack, Error(code, MsgType.START, cmd.rate_hz)]
        if self.motion_t0_s is None:
            self.motion_t0_s = now
        self.start_cfg = cmd
        self._stream = _Stream(cmd, int(round(1e6 / cmd.rate_hz)), self.device_us(now))
        self._k = 0
        self._next_battery_s = now
        return [ack]

    # ---- streaming ----

    def next_due_s(self) -> float | None:
        """Host time at which the next batch is complete (None when not streaming)."""
        st = self._stream
        if st is None:
            return None
        return self.host_s(st.dev0_us + (self._k + st.cfg.batch_len - 1) * st.period_us)

    def due(self, now: float) -> list[ImuBatch | Battery]:
        """Every batch complete by ``now`` (the device samples on its own clock), and the
        battery report when its interval has passed."""
        out: list[ImuBatch | Battery] = []
        while (t := self.next_due_s()) is not None and t <= now:
            out.append(self._batch())
        if self._stream is not None and now >= self._next_battery_s:
            out.append(self.battery())
            self._next_battery_s = now + self.battery_interval_s
        return out

    def sample_index(self, host_s: np.ndarray) -> np.ndarray:
        """Index of the motion sample the limb produced at each host time (clipped)."""
        t0 = self.motion_t0_s if self.motion_t0_s is not None else self.boot_s
        i = np.rint((host_s - t0) * self.rate_hz).astype(np.int64)
        return np.clip(i, 0, len(self.motion.accel_m_s2) - 1)

    def _batch(self) -> ImuBatch:
        st = self._stream
        assert st is not None
        cfg, n = st.cfg, st.cfg.batch_len
        t_first_us = st.dev0_us + self._k * st.period_us
        dev_us = t_first_us + st.period_us * np.arange(n)
        idx = self.sample_index(self.boot_s + dev_us * 1e-6 / (1.0 + self.drift))
        acc_g = self.motion.accel_m_s2[idx] / STANDARD_GRAVITY_M_S2
        gyr_dps = np.degrees(self.motion.gyro_rad_s[idx])
        counts = np.hstack([to_counts(acc_g, cfg.accel_fs_g), to_counts(gyr_dps, cfg.gyro_fs_dps)])
        batch = ImuBatch(self._k, t_first_us, st.period_us, cfg.gyro_fs_dps, cfg.accel_fs_g, 0,
                         counts)
        self._k += n
        return batch
