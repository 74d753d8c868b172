"""Live sets as the clinic sees them: the ``live`` leaf's events fanned out to listeners.

The watcher (:class:`~clinic.link.ClinicWatcher`) hands every accepted live event to
:meth:`LiveFanout.publish` on paho's network thread; :class:`LiveFanout` keeps each
device's running set (session, exercise, set number, the reps so far) and passes the
event on to every subscriber (the web application's server-sent event streams). A
subscriber is any callable; one that raises is dropped and counted, never the watcher's
thread. No I/O here: the web side turns a callable into an asyncio queue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)
REPS_KEPT = 60  # the last reps of a running set kept for a page opened mid-set
ENDED = frozenset({"session_ended"})

Subscriber = Callable[[str, dict[str, Any]], None]


@dataclass(slots=True)
class LiveSet:
    """One device's running session as the live feed told it."""

    device: str
    session: str = ""
    exercise: str = ""
    set_no: int = 0
    state: str = "running"  # running, paused, set_ended, sensor_stopped (ended by its source)
    at: str = ""
    reps: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"device": self.device, "session": self.session, "exercise": self.exercise,
                "set": self.set_no, "state": self.state, "at": self.at,
                "reps": list(self.reps)}


def apply_event(sets: dict[str, LiveSet], device: str, body: dict[str, Any]) -> None:
    """Fold one live event into the running sets (``session_ended`` removes the device)."""
    kind = str(body.get("type", ""))
    if kind in ENDED:
        sets.pop(device, None)
        return
    cur = sets.get(device)
    session = str(body.get("session", ""))
    if cur is None or (session and cur.session != session):
        cur = sets[device] = LiveSet(device, session)
    cur.exercise = str(body.get("exercise", cur.exercise))
    cur.at = str(body.get("at", cur.at))
    set_no = body.get("set")
    if isinstance(set_no, int) and set_no != cur.set_no:
        cur.set_no, cur.reps = set_no, []
    if kind == "rep" and isinstance(body.get("rep"), dict):
        cur.reps.append(body["rep"])
        del cur.reps[:-REPS_KEPT]
    if kind == "set_ended" and body.get("failed") is True:  # a camera unplugged, a port gone
        cur.state = "sensor_stopped"
    elif kind in ("paused", "set_ended"):
        cur.state = kind
    elif kind in ("resumed", "set_started", "rep", "session_started"):
        cur.state = "running"


class LiveFanout:
    """Running sets by device and the subscribers to their events (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sets: dict[str, LiveSet] = {}
        self._subs: list[Subscriber] = []
        self.dropped = 0  # subscribers dropped because they raised

    def subscribe(self, sub: Subscriber) -> list[dict[str, Any]]:
        """Add a subscriber; returns the running sets as they are now (under one lock, so
        no event falls between the snapshot and the first event given to ``sub``)."""
        with self._lock:
            self._subs.append(sub)
            return [s.to_json() for s in self._sets.values()]

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    def running(self) -> list[dict[str, Any]]:
        with self._lock:
            return [s.to_json() for s in sorted(self._sets.values(), key=lambda s: s.device)]

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subs)

    def publish(self, device: str, body: dict[str, Any]) -> None:
        with self._lock:
            apply_event(self._sets, device, body)
            subs = list(self._subs)
        for sub in subs:
            try:
                sub(device, body)
            except Exception:  # supervised boundary: drop that one, go on
                log.warning("a live subscriber failed; dropped", exc_info=True)
                self.unsubscribe(sub)
                self.dropped += 1
