"""systemd ``sd_notify`` (READY=1, WATCHDOG=1) as a datagram to ``$NOTIFY_SOCKET``.

A no-op when not started by systemd. Ten lines instead of a dependency.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)


def sd_notify(state: str) -> bool:
    """Send ``state`` (e.g. ``"READY=1"``); True when a socket was there to send to."""
    addr = os.environ.get("NOTIFY_SOCKET")
    if not addr:
        return False
    if addr.startswith("@"):
        addr = "\0" + addr[1:]  # abstract namespace
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(state.encode(), addr)
        return True
    except OSError as exc:
        log.warning("sd_notify(%s) failed: %s", state, exc)
        return False


def watchdog_interval_s(default_s: float = 5.0) -> float:
    """Half of systemd's ``WATCHDOG_USEC`` (the unit's WatchdogSec=30: a ping every 15 s)."""
    usec = os.environ.get("WATCHDOG_USEC")
    return int(usec) / 2e6 if usec and usec.isdigit() else default_s
