"""WitMotion WT901BLE family (BWT901BLECL5.0, WT9011DCL): the vendor's BLE 5.0 protocol, pure.

Sources (vendor documents):
* WitMotion, "Bluetooth 5.0 communication protocol" (WIT SDK docs, section "BLE 5.0
  protocol"): service 0xFFE5, notify 0xFFE4, write 0xFFE9; default upload packet
  ``0x55 0x61`` + ax ay az wx wy wz roll pitch yaw as int16 little-endian (20 bytes);
  register reads answered by ``0x55 0x71`` + start register (u16) + 8 registers.
  Scales: acceleration ``raw / 32768 * 16 g``, angular velocity ``raw / 32768 * 2000 °/s``,
  angle ``raw / 32768 * 180 °``.
* WitMotion WT901BLECL manual, "Register" and "Configuration" chapters: every command is
  ``0xFF 0xAA reg dataL dataH``; unlock ``FF AA 69 88 B5`` before writing, save
  ``FF AA 00 00 00``; RRATE (0x03) return-rate codes 0x01..0x0B; CALSW (0x01) = 1 starts
  the accelerometer calibration (sensor flat and still), 0 ends it; register 0x64 is the
  battery voltage in 0.01 V.

The packets carry neither a timestamp nor a counter, so :class:`ArrivalClock` puts the
samples on a regular grid at the configured rate, pulled gently towards the arrival time,
and reports a gap when arrivals run ahead of the grid by more than a few periods.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

from sensors.ble.errors import BlePayloadError
from sensors.types import STANDARD_GRAVITY_M_S2

WIT_SERVICE_UUID = "0000ffe5-0000-1000-8000-00805f9a34fb"
WIT_NOTIFY_UUID = "0000ffe4-0000-1000-8000-00805f9a34fb"
WIT_WRITE_UUID = "0000ffe9-0000-1000-8000-00805f9a34fb"
WIT_NAME_PREFIXES = ("WT901", "WT9011", "BWT901")  # advertised e.g. "WT901BLE68"

HEADER = 0x55
FLAG_IMU = 0x61  # acceleration, angular velocity, angle (default upload)
FLAG_REGISTERS = 0x71  # answer to a register read
FRAME_LEN = 20  # header(1) + flag(1) + 9 x int16
_IMU = struct.Struct("<BB9h")
_REGS = struct.Struct("<BBH8h")  # header, flag, start register, 8 registers

ACCEL_FS_G = 16.0
GYRO_FS_DPS = 2000.0
ANGLE_FS_DEG = 180.0
FULL_SCALE_COUNTS = 32768.0

REG_SAVE = 0x00
REG_CALSW = 0x01
REG_RRATE = 0x03
REG_READ = 0x27
REG_BATTERY_V = 0x64  # 0.01 V
UNLOCK = bytes([0xFF, 0xAA, 0x69, 0x88, 0xB5])
SAVE = bytes([0xFF, 0xAA, REG_SAVE, 0x00, 0x00])
RATE_CODES: dict[float, int] = {0.1: 0x01, 0.5: 0x02, 1.0: 0x03, 2.0: 0x04, 5.0: 0x05,
                                10.0: 0x06, 20.0: 0x07, 50.0: 0x08, 100.0: 0x09, 200.0: 0x0B}
# A single Li-ion cell, roughly linear between these (WitMotion's app shows the voltage).
BATTERY_EMPTY_V = 3.4
BATTERY_FULL_V = 4.2


@dataclass(frozen=True, slots=True)
class WitSample:
    """One 0x61 packet in physical units."""

    accel_g: tuple[float, float, float]
    gyro_dps: tuple[float, float, float]
    angle_deg: tuple[float, float, float]  # roll, pitch, yaw

    @property
    def accel_m_s2(self) -> tuple[float, float, float]:
        a = self.accel_g
        return (a[0] * STANDARD_GRAVITY_M_S2, a[1] * STANDARD_GRAVITY_M_S2,
                a[2] * STANDARD_GRAVITY_M_S2)

    @property
    def gyro_rad_s(self) -> tuple[float, float, float]:
        g = self.gyro_dps
        return (math.radians(g[0]), math.radians(g[1]), math.radians(g[2]))


@dataclass(frozen=True, slots=True)
class WitRegisters:
    """A 0x71 packet: eight consecutive registers from ``start``."""

    start: int
    values: tuple[int, ...]


WitPacket = WitSample | WitRegisters


def _scaled(raw: tuple[int, ...], fs: float) -> tuple[float, float, float]:
    k = fs / FULL_SCALE_COUNTS
    return (raw[0] * k, raw[1] * k, raw[2] * k)


def parse_notification(data: bytes | bytearray) -> list[WitPacket]:
    """Every 20-byte packet in one notification (firmwares send one, some concatenate)."""
    if not data or len(data) % FRAME_LEN:
        raise BlePayloadError("WitMotion", len(data), f"not a multiple of {FRAME_LEN} bytes")
    out: list[WitPacket] = []
    for off in range(0, len(data), FRAME_LEN):
        head, flag = data[off], data[off + 1]
        if head != HEADER:
            raise BlePayloadError("WitMotion", len(data), f"byte {off} is not 0x55")
        if flag == FLAG_IMU:
            v = _IMU.unpack_from(data, off)[2:]
            out.append(WitSample(_scaled(v[0:3], ACCEL_FS_G), _scaled(v[3:6], GYRO_FS_DPS),
                                 _scaled(v[6:9], ANGLE_FS_DEG)))
        elif flag == FLAG_REGISTERS:
            _, _, start, *regs = _REGS.unpack_from(data, off)
            out.append(WitRegisters(start, tuple(regs)))
        else:
            raise BlePayloadError("WitMotion", len(data), f"unknown flag 0x{flag:02x}")
    return out


def encode_imu(accel_g: tuple[float, float, float], gyro_dps: tuple[float, float, float],
               angle_deg: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> bytes:
    """A 0x61 packet as the sensor sends it (virtual sensors and tests)."""

    def counts(v: tuple[float, float, float], fs: float) -> list[int]:
        return [max(-32768, min(32767, round(x / fs * FULL_SCALE_COUNTS))) for x in v]

    return _IMU.pack(HEADER, FLAG_IMU, *counts(accel_g, ACCEL_FS_G),
                     *counts(gyro_dps, GYRO_FS_DPS), *counts(angle_deg, ANGLE_FS_DEG))


def encode_registers(start: int, values: tuple[int, ...]) -> bytes:
    vals = tuple(values) + (0,) * (8 - len(values))
    return _REGS.pack(HEADER, FLAG_REGISTERS, start, *vals[:8])


def command(register: int, value: int) -> bytes:
    """``FF AA reg dataL dataH``."""
    return bytes([0xFF, 0xAA, register & 0xFF, value & 0xFF, (value >> 8) & 0xFF])


def parse_command(data: bytes | bytearray) -> tuple[int, int]:
    """(register, value) of a written command; the virtual sensor's side of :func:`command`."""
    if len(data) != 5 or data[0] != 0xFF or data[1] != 0xAA:
        raise BlePayloadError("WitMotion command", len(data), "expected FF AA reg lo hi")
    return data[2], data[3] | data[4] << 8


def rate_command(rate_hz: float) -> bytes:
    try:
        return command(REG_RRATE, RATE_CODES[float(rate_hz)])
    except KeyError:
        raise ValueError(f"WitMotion return rates are {sorted(RATE_CODES)} Hz, "
                         f"not {rate_hz}") from None


def rate_from_code(code: int) -> float:
    for hz, c in RATE_CODES.items():
        if c == code:
            return hz
    raise ValueError(f"unknown return-rate code 0x{code:02x}")


def calibrate_accel_command(start: bool) -> bytes:
    return command(REG_CALSW, 1 if start else 0)


def read_command(register: int) -> bytes:
    return command(REG_READ, register)


def battery_percent(register_value: int) -> int:
    """Register 0x64 (0.01 V) to a rough percentage of a single Li-ion cell."""
    volts = register_value / 100.0
    frac = (volts - BATTERY_EMPTY_V) / (BATTERY_FULL_V - BATTERY_EMPTY_V)
    return round(100 * min(1.0, max(0.0, frac)))


class ArrivalClock:
    """Host times for samples that carry none: a regular grid, steered by arrivals.

    Parameters are fixed at construction; ``stamp(host_rx_s)`` returns the time of the next
    sample and updates ``gaps_`` / ``lost_`` when arrivals run ahead of the grid by more
    than ``gap_periods`` periods (samples the sensor took but never delivered).
    """

    def __init__(self, rate_hz: float, gain: float = 0.02, gap_periods: float = 3.5) -> None:
        self.period_s = 1.0 / rate_hz
        self.gain = gain
        self.gap_periods = gap_periods
        self._next: float | None = None
        self.gaps_ = 0
        self.lost_ = 0

    def stamp(self, host_rx_s: float) -> float:
        if self._next is None or host_rx_s < self._next - 1.0:
            t = host_rx_s
        else:
            ahead = host_rx_s - self._next
            if ahead > self.gap_periods * self.period_s:
                missed = int(ahead / self.period_s)
                self.gaps_ += 1
                self.lost_ += missed
                t = self._next + missed * self.period_s
            else:
                t = self._next + self.gain * ahead
            t = max(t, self._next - 0.5 * self.period_s)  # strictly increasing
        self._next = t + self.period_s
        return t
