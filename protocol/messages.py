"""Message payloads of wire protocol version 1: frozen dataclasses and their byte layouts.

Every layout is little-endian and documented in hw/protocol/PROTOCOL.md (section
"Messages"); hw/firmware/protocol.c holds the same layouts in C and both are checked
against hw/protocol/vectors.json. The IMU batch payload is also the value of the BLE
notification (<= 244 bytes), so it must stay self-describing (ranges inside).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from protocol.errors import PayloadError

PROTOCOL_VERSION = 1
MAX_PAYLOAD = 240  # bytes after type+seq; keeps an encoded frame <= 248 bytes
MAX_BATCH_SAMPLES = 18  # 22 + 18 * 12 = 238 bytes <= 244 (one BLE notification at MTU 247)
MAX_SENSORS = 8
SAMPLE_LEN = 12  # ax ay az gx gy gz, int16 each
COUNTS_FULL_SCALE = 32768.0  # physical = counts * full_scale / 32768
STANDARD_GRAVITY_M_S2 = 9.80665  # g_n, the unit of accel_fs_g (CGPM 1901; sensors.types too)


class MsgType(IntEnum):
    HELLO_REQ = 0x01  # host -> device
    HELLO = 0x02  # device -> host
    START = 0x10  # host -> device
    STOP = 0x11  # host -> device
    IMU_BATCH = 0x20  # device -> host
    BATTERY = 0x21  # device -> host
    TIME_REQ = 0x30  # host -> device
    TIME_RESP = 0x31  # device -> host
    ACK = 0x40  # device -> host (answers START, STOP)
    ERROR = 0x41  # either way


class ErrorCode(IntEnum):
    OK = 0
    BAD_FRAME = 1
    UNKNOWN_TYPE = 2
    BAD_PAYLOAD = 3
    UNSUPPORTED_RATE = 4
    UNSUPPORTED_RANGE = 5
    SENSOR_FAULT = 6
    OVERRUN = 7  # the device's transmit queue overflowed: samples were dropped
    VERSION_MISMATCH = 8


class SensorKind(IntEnum):
    IMU6 = 1  # accelerometer + gyroscope


@dataclass(frozen=True, slots=True)
class HelloReq:
    host_version: int = PROTOCOL_VERSION


@dataclass(frozen=True, slots=True)
class SensorDesc:
    index: int
    kind: int
    accel_fs_g: int
    gyro_fs_dps: int
    max_rate_hz: int


@dataclass(frozen=True, slots=True)
class Hello:
    proto_version: int
    fw_version: tuple[int, int, int]
    device_id: int  # 64-bit (nRF52 FICR DEVICEID)
    sensors: tuple[SensorDesc, ...]


@dataclass(frozen=True, slots=True)
class Start:
    rate_hz: int
    accel_fs_g: int
    gyro_fs_dps: int
    sensor_mask: int = 0x01
    batch_len: int = 10


@dataclass(frozen=True, slots=True)
class Stop:
    pass


@dataclass(frozen=True, slots=True, eq=False)
class ImuBatch:
    sample_seq: int  # index of the first sample since START (u32, wraps)
    t_first_us: int  # device clock at the first sample (u64)
    period_us: int
    gyro_fs_dps: int
    accel_fs_g: int
    sensor: int
    counts: np.ndarray  # (n, 6) int16: ax ay az gx gy gz
    flags: int = 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ImuBatch):
            return NotImplemented
        return (
            self._header() == other._header()
            and self.counts.shape == other.counts.shape
            and bool(np.array_equal(self.counts, other.counts))
        )

    def _header(self) -> tuple[int, ...]:
        return (self.sample_seq, self.t_first_us, self.period_us, self.gyro_fs_dps,
                self.accel_fs_g, self.sensor, self.flags)

    def __len__(self) -> int:
        return int(self.counts.shape[0])

    def accel_m_s2(self) -> np.ndarray:
        return self.counts[:, :3] * (self.accel_fs_g * STANDARD_GRAVITY_M_S2 / COUNTS_FULL_SCALE)

    def gyro_rad_s(self) -> np.ndarray:
        return self.counts[:, 3:] * (self.gyro_fs_dps * math.pi / 180.0 / COUNTS_FULL_SCALE)


@dataclass(frozen=True, slots=True)
class Battery:
    millivolts: int
    percent: int  # 255 = unknown
    flags: int = 0  # bit 0 charging, bit 1 on USB power


@dataclass(frozen=True, slots=True)
class TimeReq:
    request_id: int


@dataclass(frozen=True, slots=True)
class TimeResp:
    request_id: int
    device_us: int  # device clock when the request was handled


@dataclass(frozen=True, slots=True)
class Ack:
    acked_type: int
    acked_seq: int
    status: int = ErrorCode.OK


@dataclass(frozen=True, slots=True)
class Error:
    code: int
    ref_type: int = 0
    detail: int = 0


Message = (
    HelloReq | Hello | Start | Stop | ImuBatch | Battery | TimeReq | TimeResp | Ack | Error
)

_HELLO_REQ = struct.Struct("<B")
_HELLO_HEAD = struct.Struct("<BBBBQB")  # version, fw major/minor/patch, device id, n sensors
_SENSOR = struct.Struct("<BBBHH")  # index, kind, accel fs (g), gyro fs (dps), max rate (Hz)
_START = struct.Struct("<HBHBB")  # rate, accel fs, gyro fs, sensor mask, batch length
# sample_seq, t_first_us, period_us, gyro fs, accel fs, sensor, n, flags
_BATCH_HEAD = struct.Struct("<IQIHBBBB")
_BATTERY = struct.Struct("<HBB")
_TIME_REQ = struct.Struct("<I")
_TIME_RESP = struct.Struct("<IQ")
_ACK = struct.Struct("<BHB")
_ERROR = struct.Struct("<BBH")
_SAMPLES_DTYPE = np.dtype("<i2")


def encode_payload(msg: Message) -> tuple[MsgType, bytes]:
    """The type code and payload bytes of ``msg`` (no framing)."""
    if isinstance(msg, ImuBatch):
        n = len(msg)
        if not 1 <= n <= MAX_BATCH_SAMPLES or msg.counts.shape != (n, 6):
            raise ValueError(f"an IMU batch holds 1..{MAX_BATCH_SAMPLES} samples of 6 axes")
        head = _BATCH_HEAD.pack(msg.sample_seq, msg.t_first_us, msg.period_us, msg.gyro_fs_dps,
                                msg.accel_fs_g, msg.sensor, n, msg.flags)
        return MsgType.IMU_BATCH, head + msg.counts.astype(_SAMPLES_DTYPE).tobytes()
    if isinstance(msg, HelloReq):
        return MsgType.HELLO_REQ, _HELLO_REQ.pack(msg.host_version)
    if isinstance(msg, Hello):
        if len(msg.sensors) > MAX_SENSORS:
            raise ValueError(f"at most {MAX_SENSORS} sensors")
        out = _HELLO_HEAD.pack(msg.proto_version, *msg.fw_version, msg.device_id, len(msg.sensors))
        for s in msg.sensors:
            out += _SENSOR.pack(s.index, s.kind, s.accel_fs_g, s.gyro_fs_dps, s.max_rate_hz)
        return MsgType.HELLO, out
    if isinstance(msg, Start):
        return MsgType.START, _START.pack(msg.rate_hz, msg.accel_fs_g, msg.gyro_fs_dps,
                                          msg.sensor_mask, msg.batch_len)
    if isinstance(msg, Stop):
        return MsgType.STOP, b""
    if isinstance(msg, Battery):
        return MsgType.BATTERY, _BATTERY.pack(msg.millivolts, msg.percent, msg.flags)
    if isinstance(msg, TimeReq):
        return MsgType.TIME_REQ, _TIME_REQ.pack(msg.request_id)
    if isinstance(msg, TimeResp):
        return MsgType.TIME_RESP, _TIME_RESP.pack(msg.request_id, msg.device_us)
    if isinstance(msg, Ack):
        return MsgType.ACK, _ACK.pack(msg.acked_type, msg.acked_seq, msg.status)
    if isinstance(msg, Error):
        return MsgType.ERROR, _ERROR.pack(msg.code, msg.ref_type, msg.detail)
    raise TypeError(f"not a protocol message: {msg!r}")


def _fixed(layout: struct.Struct, make: Callable[..., Message]) -> Callable[[bytes], Message]:
    def parse(p: bytes) -> Message:
        if len(p) != layout.size:
            raise ValueError(f"expected {layout.size} bytes")
        return make(*layout.unpack(p))

    return parse


def _parse_batch(p: bytes) -> ImuBatch:
    if len(p) < _BATCH_HEAD.size:
        raise ValueError("shorter than the batch header")
    seq, t_us, period, gfs, afs, sensor, n, flags = _BATCH_HEAD.unpack_from(p)
    if not 1 <= n <= MAX_BATCH_SAMPLES or len(p) != _BATCH_HEAD.size + n * SAMPLE_LEN:
        raise ValueError(f"{n} samples do not match the length")
    counts = np.frombuffer(p, _SAMPLES_DTYPE, offset=_BATCH_HEAD.size).reshape(n, 6)
    return ImuBatch(seq, t_us, period, gfs, afs, sensor, counts, flags)


def _parse_hello(p: bytes) -> Hello:
    if len(p) < _HELLO_HEAD.size:
        raise ValueError("shorter than the HELLO header")
    ver, fw_a, fw_b, fw_c, dev, n = _HELLO_HEAD.unpack_from(p)
    if n > MAX_SENSORS or len(p) != _HELLO_HEAD.size + n * _SENSOR.size:
        raise ValueError(f"{n} sensors do not match the length")
    sensors = tuple(
        SensorDesc(*_SENSOR.unpack_from(p, _HELLO_HEAD.size + i * _SENSOR.size)) for i in range(n)
    )
    return Hello(ver, (fw_a, fw_b, fw_c), dev, sensors)


def _parse_stop(p: bytes) -> Stop:
    if p:
        raise ValueError("STOP has no payload")
    return Stop()


_PARSERS: dict[int, Callable[[bytes], Message]] = {
    MsgType.HELLO_REQ: _fixed(_HELLO_REQ, HelloReq),
    MsgType.HELLO: _parse_hello,
    MsgType.START: _fixed(_START, Start),
    MsgType.STOP: _parse_stop,
    MsgType.IMU_BATCH: _parse_batch,
    MsgType.BATTERY: _fixed(_BATTERY, Battery),
    MsgType.TIME_REQ: _fixed(_TIME_REQ, TimeReq),
    MsgType.TIME_RESP: _fixed(_TIME_RESP, TimeResp),
    MsgType.ACK: _fixed(_ACK, Ack),
    MsgType.ERROR: _fixed(_ERROR, Error),
}


def decode_payload(msg_type: int, payload: bytes) -> Message:
    """The message in ``payload``; :class:`PayloadError` if the layout does not fit."""
    parse = _PARSERS.get(msg_type)
    if parse is None:
        raise PayloadError(msg_type, len(payload), "unknown message type")
    try:
        return parse(payload)
    except ValueError as exc:
        raise PayloadError(msg_type, len(payload), str(exc)) from exc
