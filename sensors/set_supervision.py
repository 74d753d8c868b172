"""What a set does when wearables come and go (pure): pause, resume, record gaps, end.

Fed with :class:`~sensors.link_events.LinkEvent` from every wearable of the set, it answers
with actions for the session controller and the UI: PAUSE (which sensor, why) while any
wearable is away, RESUME when all are back, END when one stays away longer than
``max_away_s`` (or its link gave up), WARN for a low battery. Each outage becomes a
:class:`SetGap` kept with the set.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sensors.link_events import LinkEvent, LinkEventKind


class ActionKind(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    END = "end"
    WARN = "warn"


@dataclass(frozen=True, slots=True)
class SetAction:
    kind: ActionKind
    sensor_id: str
    message: str  # for the UI: which sensor and why


@dataclass(frozen=True, slots=True)
class SetGap:
    """One outage of one wearable during a set (host-clock seconds)."""

    sensor_id: str
    segment: str
    start_s: float
    end_s: float | None  # None: it never came back
    reason: str

    @property
    def duration_s(self) -> float | None:
        return None if self.end_s is None else self.end_s - self.start_s


class SetSupervisor:
    """Results in ``gaps_``, ``away_`` (sensor -> LOST event), ``ended_``, ``warnings_``."""

    def __init__(self, max_away_s: float = 20.0) -> None:
        self.max_away_s = max_away_s
        self.away_: dict[str, LinkEvent] = {}
        self.gaps_: list[SetGap] = []
        self.warnings_: list[str] = []
        self.ended_ = False
        self.end_reason_ = ""

    def _end(self, ev: LinkEvent, message: str) -> list[SetAction]:
        if self.ended_:
            return []
        self.ended_ = True
        self.end_reason_ = message
        for lost in self.away_.values():
            self.gaps_.append(SetGap(lost.sensor_id, lost.segment, lost.at_s, None, lost.reason))
        self.away_.clear()
        return [SetAction(ActionKind.END, ev.sensor_id, message)]

    def on_event(self, ev: LinkEvent) -> list[SetAction]:
        if self.ended_:
            return []
        match ev.kind:
            case LinkEventKind.LOST:
                first = not self.away_
                self.away_.setdefault(ev.sensor_id, ev)
                return [SetAction(ActionKind.PAUSE, ev.sensor_id, ev.message())] if first \
                    else []
            case LinkEventKind.BACK:
                lost = self.away_.pop(ev.sensor_id, None)
                if lost is not None:
                    self.gaps_.append(SetGap(ev.sensor_id, ev.segment, lost.at_s, ev.at_s,
                                             lost.reason))
                if lost is not None and not self.away_:
                    return [SetAction(ActionKind.RESUME, ev.sensor_id, ev.message())]
                return []
            case LinkEventKind.GONE:
                return self._end(ev, ev.message())
            case LinkEventKind.BATTERY_LOW:
                self.warnings_.append(ev.message())
                return [SetAction(ActionKind.WARN, ev.sensor_id, ev.message())]
        return []

    def check(self, now_s: float) -> list[SetAction]:
        """END if a wearable has been away longer than ``max_away_s`` (call periodically)."""
        for lost in list(self.away_.values()):
            away = now_s - lost.at_s
            if away > self.max_away_s:
                ev = LinkEvent(lost.sensor_id, lost.segment, LinkEventKind.GONE, now_s,
                               lost.reason, away)
                return self._end(ev, ev.message())
        return []
