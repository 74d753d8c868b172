"""Regenerate vectors.json from the Python codec (:mod:`protocol`), with the project
installed (``make install``): ``.venv/bin/python hw/protocol/make_vectors.py``.

The committed vectors.json is the contract: the Python codec and the C codec are both
tested against it, so regenerate only for a deliberate protocol change, then review the
diff byte by byte (and bump PROTOCOL_VERSION if an old peer would misread the new bytes).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from protocol.cobs import cobs_decode, cobs_encode
from protocol.codec import FrameDecoder, encode_frame, encode_raw
from protocol.crc import CRC_CHECK
from protocol.fields import to_fields
from protocol.messages import (
    PROTOCOL_VERSION,
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
    Start,
    Stop,
    TimeReq,
    TimeResp,
    encode_payload,
)

XIAO_IMU = SensorDesc(index=0, kind=1, accel_fs_g=8, gyro_fs_dps=1000, max_rate_hz=416)


def _counts(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    c = rng.integers(-32768, 32768, size=(n, 6)).astype(np.int16)
    c[0] = (0, 0, 4096, 0, -1, 255)  # zeros for COBS, 1 g at 8 g full scale, -1, 0x00FF
    return c


MESSAGES: list[tuple[str, int, Message]] = [
    ("hello_req", 0, HelloReq(PROTOCOL_VERSION)),
    ("hello_xiao", 0, Hello(1, (0, 3, 1), 0x1122334455667788, (XIAO_IMU,))),
    ("hello_two_sensors", 1, Hello(1, (1, 0, 0), 0xFEDCBA9876543210, (
        XIAO_IMU, SensorDesc(1, 1, 16, 2000, 208)))),
    ("start_100hz", 1, Start(100, 8, 1000, 0x01, 10)),
    ("stop", 2, Stop()),
    ("imu_batch_2", 7, ImuBatch(42, 1_234_567_890_123, 10_000, 1000, 8, 0, _counts(2, 1))),
    ("imu_batch_max_18", 300, ImuBatch(0xFFFFFFF0, 2**40 + 5, 9_615, 2000, 16, 1,
                                       _counts(18, 2), 0x01)),
    ("imu_batch_all_zero", 8, ImuBatch(0, 0, 10_000, 1000, 8, 0, np.zeros((3, 6), np.int16))),
    ("battery", 9, Battery(3912, 81, 0x03)),
    ("time_req", 10, TimeReq(0xDEADBEEF)),
    ("time_resp", 11, TimeResp(0xDEADBEEF, 987_654_321)),
    ("ack_start", 12, Ack(MsgType.START, 1, ErrorCode.OK)),
    ("error_unsupported_rate", 13, Error(ErrorCode.UNSUPPORTED_RATE, MsgType.START, 5000)),
    ("hello_req_seq_wraps", 0xFFFF, HelloReq(PROTOCOL_VERSION)),
]


def _f(msg: Message, seq: int) -> bytes:
    return encode_frame(msg, seq)


def _decoder_cases() -> list[tuple[str, str, bytes]]:
    bat = Battery(3700, 50, 0)
    a, b, c = _f(bat, 1), _f(bat, 2), _f(bat, 3)
    batch = _f(ImuBatch(1, 10_000, 10_000, 1000, 8, 0, _counts(4, 3)), 2)
    body = bytearray(cobs_decode(batch[1:-1]))
    body[30] ^= 0x10  # one bit in a sample, after the CRC was computed
    corrupt = b"\x00" + cobs_encode(bytes(body)) + b"\x00"
    return [
        ("two_clean_frames", "both returned, nothing counted", a + b),
        ("garbage_between_frames", "garbage is one framing error; both frames survive",
         a + bytes([0x55, 0xAA, 0x13, 0x37, 0x42]) + b),
        ("garbage_with_zeros", "each zero-delimited piece of garbage is counted; frames survive",
         a + bytes([0x03, 0x00, 0x7F, 0x00, 0x00, 0x09]) + b),
        ("crc_error", "a flipped bit is a CRC error; the next frame decodes",
         a + bytes(corrupt) + c),
        ("truncated_frame", "a frame cut short (lost bytes) fails; the next one decodes",
         a + batch[:40] + c),
        ("frame_split_mid_byte_stream", "no delimiter yet: nothing returned, tail buffered",
         a + b[:6]),
        ("sequence_gap", "frames 1, 2, 5: two frames lost in one gap",
         a + b + _f(bat, 5)),
        ("duplicate", "frame 2 twice: the repeat is dropped and counted",
         a + b + b + c),
        ("hello_restarts_sequence", "HELLO with seq 0 after frame 3 is a restart, not a gap",
         a + b + c + _f(Hello(1, (0, 3, 1), 7, (XIAO_IMU,)), 0) + _f(bat, 1)),
        ("large_backward_jump", "a jump back by more than 64 is a restart",
         _f(bat, 1000) + _f(bat, 10) + _f(bat, 11)),
        ("sequence_wraps", "65535 then 0 is no gap", _f(bat, 0xFFFF) + _f(bat, 0)),
        ("overrun", "300 bytes without a delimiter: one overrun; the next frame decodes",
         a + bytes([0x11]) * 300 + b),
        ("unknown_type", "CRC fine but type 0x7F: bad payload, sequence still counted",
         a + encode_raw(0x7F, 2, b"\x01\x02") + c),
        ("wrong_length", "STOP with a payload byte: bad payload",
         a + encode_raw(MsgType.STOP, 2, b"\x00") + c),
        ("zero_appended", "delimiter turned 0x01: CRC still valid, length byte catches it",
         a + b[:-1] + bytes([0x01]) + c),
        ("too_short", "a 3-byte body is a framing error",
         a + bytes([0x00, 0x04, 0x01, 0x02, 0x03, 0x00]) + b),
        ("invalid_cobs", "a COBS code past the end is a framing error",
         a + bytes([0x00, 0x09, 0x01, 0x02, 0x00]) + b),
    ]


def build() -> dict[str, object]:
    encode = []
    for name, seq, msg in MESSAGES:
        msg_type, payload = encode_payload(msg)
        encode.append({
            "name": name, "type": msg_type.name, "type_code": int(msg_type), "seq": seq,
            "fields": to_fields(msg), "payload_hex": payload.hex(),
            "frame_hex": encode_frame(msg, seq).hex(),
        })
    decode = []
    for name, why, stream in _decoder_cases():
        dec = FrameDecoder()
        frames = dec.feed(stream)
        decode.append({
            "name": name, "expect": why, "stream_hex": stream.hex(),
            "frames": [{"type_code": f.msg_type, "seq": f.seq,
                        "payload_hex": encode_payload(f.msg)[1].hex()} for f in frames],
            "stats": dec.stats.as_dict(),
        })
    return {
        "protocol_version": PROTOCOL_VERSION,
        "crc": {"name": "CRC-16/CCITT-FALSE", "check_ascii": "123456789",
                "check": f"{CRC_CHECK:04x}"},
        "framing": "00 | COBS(type u8, seq u16 LE, len u8, payload, crc16 BE) | 00",
        "encode": encode,
        "decode": decode,
    }


if __name__ == "__main__":
    out = Path(__file__).with_name("vectors.json")
    out.write_text(json.dumps(build(), indent=1) + "\n")
    print(f"wrote {out}")
