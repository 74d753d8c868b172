"""When a set on a live source ends: a live source (a wearable, the serial bridge, the
camera) streams until it is closed, so something must close it."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from therapy.ports import EventKind

log = logging.getLogger(__name__)

class Closable(Protocol):
    """The set's sources (``therapy.sources.SessionSources``): closing ends the set."""

    async def aclose(self) -> None: ...


SET_END_GRACE_S = 2.0  # a live set ends this long after its target rep (as in the kiosk)


class LiveSetEnd:
    """Ends a set on a live source, which streams until closed: ``grace_s`` after the
    target rep, or after ``max_s`` in any case (real seconds); :meth:`end` ends it now (a
    stop button, Ctrl-C). A session listener: add it to the controller, call :meth:`start`
    as the set starts and :meth:`cancel` after. ``target_reps`` 0: no target end."""

    def __init__(self, sources: Closable, target_reps: int, *, max_s: float,
                 grace_s: float = SET_END_GRACE_S) -> None:
        self.sources = sources
        self.target_reps = target_reps
        self.max_s = max_s
        self.grace_s = grace_s
        self.reps_ = 0
        self.reason_ = ""
        self._handles: list[Any] = []
        self._closing: Any = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._handles.append(loop.call_later(self.max_s, self.end, f"time limit "
                                             f"{self.max_s:g} s"))

    def __call__(self, ev: Any) -> None:
        if ev.kind != EventKind.REP:
            return
        self.reps_ += 1
        if self.reps_ == self.target_reps:
            loop = asyncio.get_running_loop()
            self._handles.append(loop.call_later(self.grace_s, self.end, "target reached"))

    def end(self, reason: str) -> None:
        """Close the sources: the controller's loop then ends the set normally."""
        if self._closing is None:
            self.reason_ = reason
            log.info("live set ends: %s", reason)
            self._closing = asyncio.ensure_future(self.sources.aclose())

    def cancel(self) -> None:
        for h in self._handles:
            h.cancel()
