"""The bridge's exceptions: one root, subclasses carrying what a caller needs."""

from __future__ import annotations

from sensors.source import SensorError


class BridgeError(SensorError):
    """Root of every serial-bridge error (bad payload, no handshake, port gone)."""


class PayloadError(BridgeError):
    """A frame passed its CRC but its payload does not match the layout of its type."""

    def __init__(self, msg_type: int, length: int, reason: str) -> None:
        super().__init__(f"message type 0x{msg_type:02x}, {length} bytes: {reason}")
        self.msg_type = msg_type
        self.length = length


class HandshakeError(BridgeError):
    """The device did not answer HELLO_REQ, or speaks an incompatible protocol version."""


class PortError(BridgeError):
    """The serial port cannot be opened or went away (unplugged); the adapter retries."""
