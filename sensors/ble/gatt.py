"""Our wearable's GATT profile (hw/protocol/PROTOCOL.md section 5): UUIDs and pure parsers.

The IMU batch notification is the serial protocol's IMU_BATCH payload byte for byte and
the control characteristic carries ``type u8 + payload`` of the same messages, so every
byte layout here is :mod:`protocol.messages` (one codec for USB and BLE). This
module only adds the BLE framing (the type byte) and the standard Battery Level value.
"""

from __future__ import annotations

from protocol.errors import PayloadError
from protocol.messages import (
    Hello,
    ImuBatch,
    Message,
    MsgType,
    decode_payload,
    encode_payload,
)
from sensors.ble.errors import BlePayloadError

BASE_UUID = "0000{:04x}-0000-1000-8000-00805f9a34fb"  # Bluetooth SIG base UUID

IMU_SERVICE_UUID = "7e1a0001-8b5d-4c2e-9f61-0c5ad1e0b7a1"
IMU_BATCH_UUID = "7e1a0002-8b5d-4c2e-9f61-0c5ad1e0b7a1"  # notify: IMU_BATCH payload
CONTROL_UUID = "7e1a0003-8b5d-4c2e-9f61-0c5ad1e0b7a1"  # write + notify: type u8 + payload
DEVICE_INFO_UUID = "7e1a0004-8b5d-4c2e-9f61-0c5ad1e0b7a1"  # read: the HELLO payload

BATTERY_SERVICE_UUID = BASE_UUID.format(0x180F)
BATTERY_LEVEL_UUID = BASE_UUID.format(0x2A19)  # u8 percent (Battery Service 1.0, 3.1)
DIS_SERVICE_UUID = BASE_UUID.format(0x180A)  # Device Information Service 1.1
MANUFACTURER_NAME_UUID = BASE_UUID.format(0x2A29)
MODEL_NUMBER_UUID = BASE_UUID.format(0x2A24)
FIRMWARE_REVISION_UUID = BASE_UUID.format(0x2A26)

NAME_PREFIX = "rehab-imu-"  # advertised as rehab-imu-XXXX (last two bytes of device_id)
REQUEST_MTU = 247  # ATT MTU the client asks for: one 238-byte batch per notification
CONTROL_TYPE_LEN = 1  # the type byte in front of a control payload
BATTERY_LEVEL_LEN = 1
BATTERY_MAX_PCT = 100


def _decode(what: str, msg_type: int, data: bytes | bytearray, offset: int = 0) -> Message:
    """The protocol message in ``data[offset:]``; :class:`BlePayloadError` naming ``what``."""
    try:
        return decode_payload(msg_type, bytes(data[offset:]))
    except PayloadError as exc:
        raise BlePayloadError(what, len(data), str(exc)) from exc


def parse_batch(data: bytes | bytearray) -> ImuBatch:
    """An IMU batch notification (PROTOCOL.md section 3, IMU_BATCH)."""
    msg = _decode("IMU batch", MsgType.IMU_BATCH, data)
    assert isinstance(msg, ImuBatch)
    return msg


def encode_control(msg: Message) -> bytes:
    """The value to write to the control characteristic: ``type u8`` + payload."""
    msg_type, payload = encode_payload(msg)
    return bytes([msg_type]) + payload


def parse_control(data: bytes | bytearray) -> Message:
    """A control notification (HELLO, ACK, ERROR, TIME_RESP, BATTERY) or a written command."""
    if len(data) < CONTROL_TYPE_LEN:
        raise BlePayloadError("control", len(data), "empty value")
    return _decode("control", data[0], data, CONTROL_TYPE_LEN)


def parse_device_info(data: bytes | bytearray) -> Hello:
    """The device-info characteristic: a HELLO payload (version, firmware, id, sensors)."""
    msg = _decode("device info", MsgType.HELLO, data)
    assert isinstance(msg, Hello)
    return msg


def parse_battery_level(data: bytes | bytearray) -> int:
    """Battery Level (0x2A19): one byte, 0..100 %."""
    if len(data) != BATTERY_LEVEL_LEN or data[0] > BATTERY_MAX_PCT:
        raise BlePayloadError("battery level", len(data), "expected one byte 0..100")
    return int(data[0])


def device_name(device_id: int) -> str:
    """The advertised name of the wearable with this 64-bit id."""
    return f"{NAME_PREFIX}{device_id & 0xFFFF:04X}"
