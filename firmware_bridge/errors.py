"""The serial bridge's exceptions: one root, subclasses carrying what a caller needs.

Protocol faults (a bad payload, a failed handshake) are :mod:`protocol.errors`; this
package adds what the serial port itself can do wrong.
"""

from __future__ import annotations

from sensors.source import SensorError


class BridgeError(SensorError):
    """Root of every serial-bridge error (port gone, session stopped)."""


class PortError(BridgeError):
    """The serial port cannot be opened or went away (unplugged); the adapter retries."""
