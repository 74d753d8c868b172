"""Pure parsers of the BLE side: our GATT values (the serial codec, reused) and WitMotion."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.fields import from_fields
from protocol.messages import Ack, Battery, ImuBatch, MsgType, Start, TimeReq, TimeResp
from sensors.ble import gatt, witmotion
from sensors.ble.errors import BlePayloadError

VECTORS = Path(__file__).resolve().parents[2] / "hw" / "protocol" / "vectors.json"

# An IMU-batch notification value (PROTOCOL.md section 5: the IMU_BATCH payload as is),
# the contract's vector imu_batch_2: sample_seq 42, 2 samples, ±8 g, ±1000 °/s.
BATCH_CAPTURE = bytes.fromhex(
    "2a000000cb04fb711f01000010270000e803080002000000000000100000ffffff00"
    "ac52da72cdbfd4cf785e5fec")
# Control notifications: TIME_RESP, BATTERY, ACK of START (type byte + payload).
TIME_RESP_CAPTURE = bytes.fromhex("31" "efbeaddeb168de3a00000000")
BATTERY_CAPTURE = bytes.fromhex("21" "480f5103")
ACK_CAPTURE = bytes.fromhex("40" "10010000")
# WT901BLE 0x61 packet, laid out per the vendor's BLE 5.0 protocol: at rest, z up,
# ax=0.0117 g ay=-0.0059 g az=1.0 g, wz=-1.46 °/s, roll 1.23°, pitch -0.45°, yaw 90°.
WIT_CAPTURE = bytes.fromhex("5561" "1800" "f4ff" "0008" "0000" "0000" "e8ff"
                            "e000" "aeff" "0040")
WIT_BATTERY_CAPTURE = bytes.fromhex("5571" "6400" "7401" + "0000" * 7)  # 3.72 V


def test_batch_capture_parses_to_the_whole_object() -> None:
    assert gatt.parse_batch(BATCH_CAPTURE) == ImuBatch(
        42, 1234567890123, 10000, 1000, 8, 0,
        np.array([[0, 0, 4096, 0, -1, 255], [21164, 29402, -16435, -12332, 24184, -5025]],
                 np.int16))


def test_control_captures_parse_to_whole_objects() -> None:
    assert gatt.parse_control(TIME_RESP_CAPTURE) == TimeResp(3735928559, 987654321)
    assert gatt.parse_control(BATTERY_CAPTURE) == Battery(3912, 81, 3)
    assert gatt.parse_control(ACK_CAPTURE) == Ack(MsgType.START, 1, 0)


@pytest.mark.parametrize("vector", json.loads(VECTORS.read_text())["encode"],
                         ids=lambda v: v["name"])
def test_every_protocol_vector_round_trips_as_a_control_value(vector: dict) -> None:
    value = bytes([vector["type_code"]]) + bytes.fromhex(vector["payload_hex"])
    msg = from_fields(MsgType[vector["type"]], vector["fields"])
    assert gatt.encode_control(msg) == value
    assert gatt.parse_control(value) == msg
    if vector["type"] == "IMU_BATCH":
        assert gatt.parse_batch(value[1:]) == msg


@pytest.mark.parametrize(("msg", "expected"), [
    (Start(100, 8, 1000, 1, 10), ("10" "6400" "08" "e803" "01" "0a")),
    (TimeReq(7), ("30" "07000000")),
])
def test_control_writes_encode_to_the_expected_bytes(msg: object, expected: str) -> None:
    assert gatt.encode_control(msg).hex() == expected  # type: ignore[arg-type]


def test_battery_level_and_device_name() -> None:
    assert gatt.parse_battery_level(b"\x0e") == 14
    with pytest.raises(BlePayloadError):
        gatt.parse_battery_level(b"\x65")
    assert gatt.device_name(0x1234_5678_9ABC_DEF0) == "rehab-imu-DEF0"


def test_witmotion_capture_parses_to_the_whole_object() -> None:
    k_a, k_g, k_r = 16 / 32768, 2000 / 32768, 180 / 32768
    assert witmotion.parse_notification(WIT_CAPTURE) == [witmotion.WitSample(
        (24 * k_a, -12 * k_a, 2048 * k_a), (0.0, 0.0, -24 * k_g),
        (224 * k_r, -82 * k_r, 16384 * k_r))]
    sample = witmotion.parse_notification(WIT_CAPTURE)[0]
    assert sample.accel_m_s2[2] == pytest.approx(9.80665)
    assert sample.gyro_rad_s[2] == pytest.approx(math.radians(-24 * k_g))
    [regs] = witmotion.parse_notification(WIT_BATTERY_CAPTURE)
    assert regs == witmotion.WitRegisters(0x64, (372, 0, 0, 0, 0, 0, 0, 0))
    assert witmotion.battery_percent(372) == 40


def test_witmotion_packets_can_be_concatenated_in_one_notification() -> None:
    assert len(witmotion.parse_notification(WIT_CAPTURE * 3)) == 3


@pytest.mark.parametrize(("cmd", "expected"), [
    (witmotion.UNLOCK, "ffaa6988b5"),
    (witmotion.SAVE, "ffaa000000"),
    (witmotion.rate_command(100), "ffaa030900"),
    (witmotion.rate_command(10), "ffaa030600"),
    (witmotion.rate_command(200), "ffaa030b00"),
    (witmotion.calibrate_accel_command(True), "ffaa010100"),
    (witmotion.calibrate_accel_command(False), "ffaa010000"),
    (witmotion.read_command(witmotion.REG_BATTERY_V), "ffaa276400"),
])
def test_witmotion_commands_encode_to_the_vendor_bytes(cmd: bytes, expected: str) -> None:
    assert cmd.hex() == expected


def test_witmotion_encoder_inverts_the_parser() -> None:
    pkt = witmotion.encode_imu((0.5, -1.0, 1.0), (100.0, -250.0, 3.0), (10.0, -20.0, 170.0))
    [s] = witmotion.parse_notification(pkt)
    assert np.allclose(s.accel_g, (0.5, -1.0, 1.0), atol=16 / 32768)
    assert np.allclose(s.gyro_dps, (100.0, -250.0, 3.0), atol=2000 / 32768)
    assert np.allclose(s.angle_deg, (10.0, -20.0, 170.0), atol=180 / 32768)


PARSERS = (gatt.parse_batch, gatt.parse_control, gatt.parse_device_info,
           gatt.parse_battery_level, witmotion.parse_notification, witmotion.parse_command)


@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.binary(max_size=260),
    # near-valid values: real captures cut, extended or with one byte changed
    st.tuples(st.sampled_from([BATCH_CAPTURE, TIME_RESP_CAPTURE, BATTERY_CAPTURE,
                               ACK_CAPTURE, WIT_CAPTURE, WIT_BATTERY_CAPTURE]),
              st.integers(0, 60), st.integers(0, 255), st.binary(max_size=30))
    .map(lambda t: (t[0][:t[1]] + bytes([t[2]]) + t[0][t[1] + 1:] + t[3])),
))
def test_no_notification_bytes_raise_anything_but_a_payload_error(data: bytes) -> None:
    for parse in PARSERS:
        try:
            parse(data)
        except BlePayloadError:
            pass
