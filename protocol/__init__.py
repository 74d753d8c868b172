"""The wearable wire protocol of ``hw/protocol/PROTOCOL.md``, sans-I/O (stdlib and numpy only).

Bytes and values: :mod:`.crc`, :mod:`.cobs`, :mod:`.messages` (payload layouts),
:mod:`.codec` (framing and the stream decoder), :mod:`.fields` (messages <-> JSON fields of
``vectors.json``). Time and order: :mod:`.clock` (device -> host clock mapping, injectable
clocks), :mod:`.sequence` (sample-sequence tracking), :mod:`.backoff` (reconnect policy).
Behaviour: :mod:`.host` (the host's state machine, one for serial and BLE) and
:mod:`.device` (the firmware's, one for the serial emulator and the virtual BLE wearable).
Transports over it: ``firmware_bridge`` (USB serial) and ``sensors.ble`` (GATT).
"""

from protocol.codec import DecoderStats, Frame, FrameDecoder, encode_frame
from protocol.errors import HandshakeError, PayloadError, ProtocolError
from protocol.messages import PROTOCOL_VERSION, MsgType

__all__ = [
    "PROTOCOL_VERSION",
    "DecoderStats",
    "Frame",
    "FrameDecoder",
    "HandshakeError",
    "MsgType",
    "PayloadError",
    "ProtocolError",
    "encode_frame",
]
