"""The device link's counters on disk, for ``rehab doctor`` (which runs beside the kiosk).

``DeviceLink.stats`` (inbound payloads accepted per leaf, refused per ``Reject``) and the
drainer's counters live in the kiosk's memory; :class:`StatsSnapshot` writes them to
``link-stats.json`` in the data folder (0600, replaced atomically) at most every
``every_s`` seconds when something was refused, and on stop. Counters only: no payload,
no record id.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger(__name__)
SNAPSHOT_NAME = "link-stats.json"
SNAPSHOT_EVERY_S = 5.0


class StatsSnapshot:
    def __init__(self, path: Path, collect: Callable[[], dict[str, Any]], *,
                 every_s: float = SNAPSHOT_EVERY_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self._collect = collect
        self.every_s = every_s
        self._now = clock
        self._last = float("-inf")

    def changed(self) -> None:
        """Something was counted: write now unless a write was made in the last every_s."""
        if self._now() - self._last >= self.every_s:
            self.write()

    def write(self) -> None:
        self._last = self._now()
        body = {"at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **self._collect()}
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(body, f, separators=(",", ":"))
            os.replace(tmp, self.path)
        except OSError as exc:  # a full disk must not stop the link; doctor says so
            log.warning("could not write %s: %s", self.path, exc)


def read_snapshot(path: Path) -> dict[str, Any] | None:
    """The last snapshot, or None when there is none or it cannot be read."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    return body if isinstance(body, dict) else None
