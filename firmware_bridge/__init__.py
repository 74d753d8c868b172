"""Serial firmware bridge: the wire protocol of ``hw/protocol/PROTOCOL.md`` in Python.

Pure core (no I/O imports): :mod:`.crc`, :mod:`.cobs`, :mod:`.messages`, :mod:`.codec`,
:mod:`.clock`, :mod:`.backoff`. Adapters: :mod:`.serial_link` (pyserial),
:mod:`.source` (the ``SampleSource`` the motion pipeline reads), :mod:`.emulator`
(the firmware, in Python, behind a pseudo-terminal).
"""

from firmware_bridge.codec import DecoderStats, Frame, FrameDecoder, encode_frame
from firmware_bridge.errors import BridgeError, HandshakeError, PayloadError, PortError
from firmware_bridge.messages import PROTOCOL_VERSION, MsgType

__all__ = [
    "PROTOCOL_VERSION",
    "BridgeError",
    "DecoderStats",
    "Frame",
    "FrameDecoder",
    "HandshakeError",
    "MsgType",
    "PayloadError",
    "PortError",
    "encode_frame",
]
