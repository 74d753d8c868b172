"""Session events as the live set receives them (``therapy.ports.SessionEvent``), for the
live screen's view-model tests: a rep with a given ROM, and an event of a set. Kivy-free."""

from __future__ import annotations

from datetime import datetime, timezone

from motion.types import Rep
from therapy.ports import EventKind, SessionEvent

AT = datetime(2026, 3, 4, 15, 0, tzinfo=timezone.utc)


def rep_of(n: int, rom: float) -> Rep:
    """Rep ``n`` of ``rom`` degrees: 1 s up, held 3 s, 1.5 s each way, confirmed at 2.1 s."""
    return Rep(n, 0.0, 1.0, 2.0, 2.1, rom, 3.0, 1.5, 1.5, rom)


def set_event(kind: EventKind, rep: Rep | None = None, set_no: int = 1,
              exercise_id: str = "knee_extension_seated", **extra: object) -> SessionEvent:
    """``kind`` in set ``set_no`` of session 's1' at AT, with ``rep`` and ``extra``
    (``index``, ``source``, ``reps``...)."""
    return SessionEvent(kind, "s1", exercise_id, set_no, AT, rep, 0.0, dict(extra))
