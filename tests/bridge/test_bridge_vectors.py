"""The Python codec reproduces hw/protocol/vectors.json byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from protocol.codec import FrameDecoder, encode_frame
from protocol.crc import CRC_CHECK, crc16
from protocol.fields import from_fields, to_fields
from protocol.messages import MsgType, encode_payload

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "hw" / "protocol" / "vectors.json").read_text()
)


def test_crc_check_value() -> None:
    assert crc16(b"123456789") == CRC_CHECK == int(VECTORS["crc"]["check"], 16)


@pytest.mark.parametrize("v", VECTORS["encode"], ids=lambda v: v["name"])
def test_encode_vector(v: dict) -> None:
    msg = from_fields(MsgType[v["type"]], v["fields"])
    assert encode_payload(msg) == (v["type_code"], bytes.fromhex(v["payload_hex"]))
    assert encode_frame(msg, v["seq"]).hex() == v["frame_hex"]
    frames = FrameDecoder().feed(bytes.fromhex(v["frame_hex"]))
    assert [(f.msg_type, f.seq, f.msg) for f in frames] == [(v["type_code"], v["seq"], msg)]
    assert to_fields(frames[0].msg) == v["fields"]


@pytest.mark.parametrize("v", VECTORS["decode"], ids=lambda v: v["name"])
@pytest.mark.parametrize("chunk", [None, 1, 7], ids=["whole", "bytewise", "by7"])
def test_decode_vector(v: dict, chunk: int | None) -> None:
    stream = bytes.fromhex(v["stream_hex"])
    dec = FrameDecoder()
    step = chunk or len(stream)
    frames = [f for i in range(0, len(stream), step) for f in dec.feed(stream[i : i + step])]
    got = [
        {"type_code": f.msg_type, "seq": f.seq, "payload_hex": encode_payload(f.msg)[1].hex()}
        for f in frames
    ]
    assert got == v["frames"]
    assert dec.stats.as_dict() == v["stats"]


def test_wire_frame_fits_limits() -> None:
    longest = max(len(bytes.fromhex(v["frame_hex"])) for v in VECTORS["encode"])
    assert longest <= 249
    batch = next(v for v in VECTORS["encode"] if v["name"] == "imu_batch_max_18")
    assert len(bytes.fromhex(batch["payload_hex"])) <= 244  # one BLE notification, unchanged
