"""Live session events as a kiosk's SessionController emits them (for the live tests)."""

from __future__ import annotations

from datetime import datetime, timezone

from motion.types import QualityFlag, Rep
from therapy.ports import EventKind, SessionEvent


def rep(n: int, rom_deg: float, *flags: QualityFlag) -> Rep:
    t = 3.0 * n
    return Rep(n, t, t + 1.2, t + 2.6, t + 2.8, rom_deg, 1.5, 1.2, 1.4, rom_deg, tuple(flags))


def event(kind: EventKind, session: str = "s-1", exercise: str = "knee_extension_seated",
          set_no: int = 1, r: Rep | None = None) -> SessionEvent:
    return SessionEvent(kind, session, exercise, set_no, datetime.now(timezone.utc), r)
