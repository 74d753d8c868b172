"""The pyserial adapter: open a port by path or by its /dev/serial/by-id name, move bytes.

Only this module touches the port. It tolerates ports without modem lines (a pty, some
USB-serial chips): DTR is asked for, because the nRF52 Arduino core's ``while (!Serial)``
waits for it, but an ENOTTY/EINVAL answer is not an error.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

import serial

from firmware_bridge.errors import PortError

log = logging.getLogger(__name__)

BY_ID_DIR = Path("/dev/serial/by-id")
DEFAULT_BAUD = 115200  # ignored by USB CDC-ACM and by a pty; kept for real UARTs
READ_TIMEOUT_S = 0.02


class ByteLink(Protocol):
    """A byte pipe to one device; ``read`` returns b"" after a short timeout."""

    def write(self, data: bytes) -> None: ...

    def read(self) -> bytes: ...

    def close(self) -> None: ...


def resolve_port(name: str) -> str:
    """``/dev/ttyACM0``, ``/dev/rehab-imu0``, a by-id name, ``ttyACM0`` or a pyserial URL."""
    if "://" in name or name.startswith("/"):
        return name
    for candidate in (BY_ID_DIR / name, Path("/dev") / name):
        if candidate.exists():
            return str(candidate)
    return name


class SerialLink:
    def __init__(self, port: serial.SerialBase, name: str) -> None:
        self._port = port
        self.name = name

    @classmethod
    def open(cls, name: str, baud: int = DEFAULT_BAUD) -> SerialLink:
        path = resolve_port(name)
        try:
            if "://" in path:
                port = serial.serial_for_url(path, baudrate=baud, timeout=READ_TIMEOUT_S)
            else:
                port = serial.Serial(path, baudrate=baud, timeout=READ_TIMEOUT_S,
                                     write_timeout=1.0, exclusive=True)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise PortError(f"cannot open {path}: {exc} (is it plugged in, and is this user "
                            "in group dialout?)") from exc
        try:
            port.dtr = True
        except OSError as exc:  # a pty: ENOTTY; some adapters: EINVAL
            log.debug("%s has no modem lines (%s); carrying on", path, exc)
        port.reset_input_buffer()
        return cls(port, path)

    def write(self, data: bytes) -> None:
        try:
            self._port.write(data)
        except (serial.SerialException, OSError) as exc:
            raise PortError(f"write to {self.name} failed: {exc}") from exc

    def read(self) -> bytes:
        try:
            return bytes(self._port.read(max(1, self._port.in_waiting)))
        except (serial.SerialException, OSError) as exc:
            raise PortError(f"{self.name} went away: {exc}") from exc

    def close(self) -> None:
        try:
            self._port.close()
        except (serial.SerialException, OSError) as exc:
            log.debug("closing %s: %s", self.name, exc)
