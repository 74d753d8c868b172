"""Record values the device keeps and sends: sessions, reps, pain, feedback, messages.

Frozen dataclasses; ids are UUID4 strings made on the device (they become the FHIR
``identifier`` so the clinic can drop duplicates). Times are aware UTC datetimes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from motion.types import Rep


def new_id() -> str:
    return str(uuid.uuid4())


class PainPhase(StrEnum):
    BEFORE = "before"
    AFTER = "after"


class Direction(StrEnum):
    TO_PATIENT = "to_patient"  # therapist -> patient (messages/in)
    TO_THERAPIST = "to_therapist"  # patient -> therapist (messages/out)


@dataclass(frozen=True, slots=True)
class RepRecord:
    """One rep as stored: the motion core's Rep, numbered within its set."""

    set_no: int
    n: int
    t_start_s: float
    t_end_s: float
    rom_deg: float
    hold_s: float
    up_s: float
    down_s: float
    flags: tuple[str, ...] = ()
    # where the ROM came from when a camera measured too (motion.camera_fusion.AngleSource:
    # "camera", "imu", "camera+imu"); "" for a set of wearables alone
    source: str = ""

    @classmethod
    def from_rep(cls, set_no: int, rep: Rep, t0: float = 0.0, source: str = "") -> RepRecord:
        return cls(set_no, rep.n, round(rep.t_start - t0, 3), round(rep.t_end - t0, 3),
                   round(rep.rom_deg, 2), round(rep.hold_s, 2), round(rep.up_s, 2),
                   round(rep.down_s, 2), tuple(str(f) for f in rep.flags), source)

    def to_json(self) -> dict[str, Any]:
        out = {"set": self.set_no, "n": self.n, "t_start_s": self.t_start_s,
               "t_end_s": self.t_end_s, "rom_deg": self.rom_deg, "hold_s": self.hold_s,
               "up_s": self.up_s, "down_s": self.down_s, "flags": list(self.flags)}
        if self.source:
            out["source"] = self.source
        return out


@dataclass(frozen=True, slots=True)
class GapRecord:
    """A wearable's outage during a set (``sensors.set_supervision.SetGap``): which wearable
    (``sensor_id``, worn on ``segment``), when and how long on the host clock (``start_s``,
    ``end_s``; None: it had not come back when the set ended), why. ``started_at``: the
    calendar time it began (None only for a draft journaled before device schema 8, which kept
    no wall/monotonic clock pair to place it by)."""

    set_no: int
    sensor_id: str
    segment: str
    start_s: float
    end_s: float | None
    reason: str = ""
    started_at: datetime | None = None

    @property
    def duration_s(self) -> float | None:
        return None if self.end_s is None else round(self.end_s - self.start_s, 3)


@dataclass(frozen=True, slots=True)
class PainReport:
    """A 0-10 numeric pain rating, before or after a session, with an optional note."""

    id: str
    rating: int
    phase: PainPhase
    at: datetime
    session_id: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.rating, bool) or not 0 <= self.rating <= 10:
            raise ValueError(f"pain rating must be 0..10, got {self.rating!r}")


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A finished (or stopped) session of one exercise: what reaches the clinic."""

    id: str
    exercise_id: str
    side: str
    joint: str
    started_at: datetime
    ended_at: datetime
    target_sets: int
    target_reps: int
    target_rom_deg: float
    target_hold_s: float
    reps: tuple[RepRecord, ...]
    sets_done: int
    completed: bool
    plan_version: int | None = None
    appointment_id: str | None = None
    pains: tuple[PainReport, ...] = field(default=())
    gaps: tuple[GapRecord, ...] = field(default=())  # wearable outages, by set and start

    @property
    def rep_count(self) -> int:
        return len(self.reps)

    @property
    def mean_rom_deg(self) -> float | None:
        return sum(r.rom_deg for r in self.reps) / len(self.reps) if self.reps else None

    def pain(self, phase: PainPhase) -> PainReport | None:
        return next((p for p in self.pains if p.phase == phase), None)


@dataclass(frozen=True, slots=True)
class Feedback:
    """What the patient says about a session (free text and an optional 1-5 rating)."""

    id: str
    at: datetime
    text: str
    session_id: str | None = None
    rating: int | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """A therapist <-> patient message. ``id`` is made by the sender."""

    id: str
    direction: Direction
    text: str
    at: datetime
    acked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Appointment:
    """A live session the clinic scheduled: start time and length."""

    id: str
    start_at: datetime
    minutes: int
    started_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class QuestionnaireAnswers:
    """Answers to an intake or check-in questionnaire (``questionnaire`` is its canonical id).

    ``answers`` maps question ``linkId`` to a str, int, float or bool answer.
    """

    id: str
    questionnaire: str
    at: datetime
    answers: tuple[tuple[str, str | int | float | bool], ...]
