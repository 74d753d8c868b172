"""The wire protocol's exceptions: one root, subclasses carrying what a caller needs.

The transports (``firmware_bridge`` over serial, ``sensors.ble`` over GATT) root their own
errors in ``sensors.source.SensorError`` and wrap or catch these where a link must go on.
"""

from __future__ import annotations


class ProtocolError(Exception):
    """Root of every wire-protocol error (bad payload, bad COBS, failed handshake)."""


class PayloadError(ProtocolError):
    """A frame passed its CRC but its payload does not match the layout of its type."""

    def __init__(self, msg_type: int, length: int, reason: str) -> None:
        super().__init__(f"message type 0x{msg_type:02x}, {length} bytes: {reason}")
        self.msg_type = msg_type
        self.length = length


class HandshakeError(ProtocolError):
    """The device did not answer, speaks another protocol version, or refused START."""
