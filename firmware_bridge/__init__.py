"""Serial firmware bridge: the wire protocol (:mod:`protocol`) over USB CDC-ACM.

A thin transport: :mod:`.serial_link` (pyserial, the only module that touches the port),
:mod:`.session` (frames in and out of the protocol's host state machine, one thread per
device, reconnects), :mod:`.source` (the ``SampleSource`` the motion pipeline reads),
:mod:`.emulator` (the protocol's device model behind a pseudo-terminal).
"""

from firmware_bridge.errors import BridgeError, PortError

__all__ = ["BridgeError", "PortError"]
