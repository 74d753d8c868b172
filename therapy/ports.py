"""Ports the session controller uses, with simple real implementations.

- :class:`WallClock`: wall time (aware UTC) for record stamps and schedules; the monotonic
  seconds that time samples and time-outs are ``protocol.clock.Clock``;
- :class:`Analyzer`: the shape of ``motion.pipeline.SetAnalyzer`` (feed/finish);
- :class:`RecordSink`: where a finished session goes (``TherapyStore`` is one);
- :class:`Encoder`: turns records into outbox items (:class:`FhirEncoder`);
- :class:`SessionListener`: gets :class:`SessionEvent` values (the live MQTT feed, the UI).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Callable, Protocol, Sequence

from motion.types import Rep
from sensors.types import ImuChunk
from therapy import fhir
from therapy.records import Feedback, PainReport, QuestionnaireAnswers, SessionRecord
from therapy.outbox import Channel, OutboxItem

if TYPE_CHECKING:
    from motion.params import SetParams

FEEDBACK_QUESTIONNAIRE = "urn:rehab-kiosk:questionnaire:session-feedback"


class WallClock(Protocol):
    """The calendar time records are stamped with: an aware UTC datetime, which may step when
    the system clock is set (never used to measure a duration)."""

    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.t = start or datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)

    def now(self) -> datetime:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)


class Analyzer(Protocol):
    """What ``motion.pipeline.SetAnalyzer`` offers the controller."""

    reps_: list[Rep]

    def feed(self, chunk: ImuChunk, proximal: ImuChunk | None = None) -> list[Rep]: ...

    def finish(self) -> list[Rep]: ...


# (rate_hz, everything the exercise and plan say about the set) -> a new analyzer for one set.
# One parameter object, not positional values: a positional factory dropped ``lifts`` and
# the tempo on the live path while replay passed them.
AnalyzerFactory = Callable[[float, "SetParams"], Analyzer]


def set_analyzer_factory(rate_hz: float, params: SetParams) -> Analyzer:
    """The real motion core, built by the one builder replay uses too."""
    from motion.params import build_analyzer

    return build_analyzer(rate_hz, params)


class RecordSink(Protocol):
    def save_session(self, rec: SessionRecord, outbox: Sequence[OutboxItem] = ()) -> None: ...


class Encoder(Protocol):
    def session_items(self, rec: SessionRecord) -> list[OutboxItem]: ...


class FhirEncoder:
    """Outbox items as FHIR JSON on the records channel: the session Bundle, then one
    Observation per pain report."""

    def __init__(self, device_id: str) -> None:
        self.device_id = device_id

    def session_items(self, rec: SessionRecord) -> list[OutboxItem]:
        items = [_item(rec.id, fhir.session_bundle(rec, self.device_id))]
        items += [self.pain_item(p) for p in rec.pains]
        return items

    def pain_item(self, p: PainReport) -> OutboxItem:
        return _item(p.id, fhir.pain_observation(p, self.device_id))

    def questionnaire_item(self, q: QuestionnaireAnswers) -> OutboxItem:
        return _item(q.id, fhir.questionnaire_response(q, self.device_id))

    def feedback_item(self, f: Feedback) -> OutboxItem:
        """Session feedback travels as a QuestionnaireResponse (FEEDBACK_QUESTIONNAIRE)."""
        answers: list[tuple[str, str | int | float | bool]] = [("text", f.text)]
        if f.rating is not None:
            answers.append(("rating", f.rating))
        if f.session_id:
            answers.append(("session", f.session_id))
        q = QuestionnaireAnswers(f.id, FEEDBACK_QUESTIONNAIRE, f.at, tuple(answers))
        return self.questionnaire_item(q)


def _item(record_id: str, resource: dict[str, Any]) -> OutboxItem:
    return OutboxItem(Channel.RECORDS, record_id,
                      json.dumps(resource, separators=(",", ":")).encode())


class EventKind(StrEnum):
    SESSION_STARTED = "session_started"
    SET_STARTED = "set_started"
    REP = "rep"
    # a camera + wearable set: the same rep (extra "index" in the set, from 0) with its
    # fused ROM and extra "source" (camera / imu / camera+imu), after its REP
    REP_MEASURED = "rep_measured"
    PAUSED = "paused"
    RESUMED = "resumed"
    SET_ENDED = "set_ended"
    SESSION_ENDED = "session_ended"


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """Something that happened in a running session. ``rep`` is set for REP events."""

    kind: EventKind
    session_id: str
    exercise_id: str
    set_no: int
    at: datetime
    rep: Rep | None = None
    rep_t0: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The small JSON of the live feed (no names, no health data beyond the rep)."""
        out: dict[str, Any] = {"type": str(self.kind), "session": self.session_id,
                               "exercise": self.exercise_id, "set": self.set_no,
                               "at": self.at.isoformat(timespec="milliseconds")}
        if self.rep is not None:
            r = self.rep
            out["rep"] = {"n": r.n, "rom_deg": round(r.rom_deg, 1),
                          "hold_s": round(r.hold_s, 2), "flags": [str(f) for f in r.flags]}
        out.update(self.extra)
        return out


SessionListener = Callable[[SessionEvent], None]
