"""The therapy plan model and its validation. Pure: no I/O.

A plan is JSON written by the clinic (``rehab clinic plan push``)::

    {"plan_id": "p-17", "version": 3,
     "valid_from": "2026-01-05T00:00:00Z", "valid_until": "2026-03-01T00:00:00Z",
     "schedule": {"days": ["mon", "wed", "fri"], "sessions_per_day": 1},
     "exercises": [{"exercise_id": "knee_extension_seated", "side": "right",
                    "sets": 2, "reps": 10, "target_rom_deg": 70, "hold_s": 3,
                    "up_s": 1.5, "down_s": 1.5, "rest_s": 60}]}

Each exercise refers to the catalogue (:mod:`therapy.catalogue`) by id; fields left out
take the catalogue's values. ``name``, ``instructions`` and ``sensors`` (body segments the
wearables sit on) may be overridden. Times are ISO 8601 with a time zone in the years
2000..2100 (:mod:`therapy.dates`); ``version`` is 1..2**31 - 2 (a plan at 2**31 - 1 could
never be replaced). :func:`parse_plan` returns a frozen :class:`Plan` or raises
:class:`~therapy.errors.PlanError` whose message names the offending field.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Mapping

from sensors.types import BodySegment
from therapy.catalogue import CATALOGUE, Exercise
from therapy.dates import parse_time
from therapy.errors import PlanError

MAX_PLAN_BYTES = 64 * 1024
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")  # schedule.times
MAX_EXERCISES = 30
MAX_SETS = 10
MAX_REPS = 100
MAX_ROM_DEG = 180.0
MAX_HOLD_S = 120.0
MAX_TEMPO_S = 30.0
MAX_REST_S = 600.0
MAX_TEXT = 2000
ID_MAX = 64
# 2**31 - 1 itself is refused: a plan at the top version could never be replaced
MAX_PLAN_VERSION = 2**31 - 2


class Side(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    BOTH = "both"
    NONE = "none"  # trunk exercises


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


@dataclass(frozen=True, slots=True)
class PlanExercise:
    """One exercise as prescribed: the catalogue entry plus the therapist's numbers."""

    exercise_id: str
    name: str
    instructions: str
    side: Side
    sensors: tuple[BodySegment, ...]
    sets: int
    reps: int
    target_rom_deg: float
    hold_s: float
    up_s: float
    down_s: float
    rest_s: float

    @property
    def exercise(self) -> Exercise:
        return CATALOGUE[self.exercise_id]

    @property
    def two_imu(self) -> bool:
        return len(self.sensors) >= 2


@dataclass(frozen=True, slots=True)
class Schedule:
    days: tuple[Weekday, ...]
    sessions_per_day: int
    times: tuple[str, ...] = ()  # HH:MM local reminder times the clinic sets (kiosk)


@dataclass(frozen=True, slots=True)
class Plan:
    plan_id: str
    version: int
    valid_from: datetime
    valid_until: datetime
    schedule: Schedule
    exercises: tuple[PlanExercise, ...]

    def is_valid_at(self, when: datetime) -> bool:
        return self.valid_from <= when < self.valid_until

    def exercise(self, exercise_id: str) -> PlanExercise:
        for ex in self.exercises:
            if ex.exercise_id == exercise_id:
                return ex
        raise KeyError(f"exercise {exercise_id!r} is not in plan {self.plan_id} v{self.version}")


def exercise_from_catalogue(exercise_id: str, side: Side = Side.RIGHT) -> PlanExercise:
    """A plan entry with the catalogue's defaults (what ``rehab session --sim`` runs)."""
    try:
        ex = CATALOGUE[exercise_id]
    except KeyError:
        raise PlanError(f"unknown exercise; known: {', '.join(sorted(CATALOGUE))}",
                        "exercise_id") from None
    return PlanExercise(ex.id, ex.name, ex.instructions, side, (ex.distal,), ex.sets, ex.reps,
                        ex.target_rom_deg, ex.hold_s, ex.up_s, ex.down_s, ex.rest_s)


def parse_plan_bytes(raw: bytes | str) -> Plan:
    """Decode UTF-8 JSON and validate it (:func:`parse_plan`)."""
    if len(raw) > MAX_PLAN_BYTES:
        raise PlanError(f"plan is {len(raw)} bytes, the limit is {MAX_PLAN_BYTES}")
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise PlanError(f"not valid JSON ({exc.__class__.__name__})") from exc
    return parse_plan(obj)


def parse_plan(obj: Any) -> Plan:
    """Validate a decoded plan; every problem is a PlanError naming the field."""
    if not isinstance(obj, Mapping):
        raise PlanError("a plan must be a JSON object")
    plan_id = _text(obj, "plan_id", "", ID_MAX)
    if not plan_id:
        raise PlanError("must not be empty", "plan_id")
    version = _int(obj, "version", "", 1, MAX_PLAN_VERSION)
    valid_from = _time(obj, "valid_from", "")
    valid_until = _time(obj, "valid_until", "")
    if valid_until <= valid_from:
        raise PlanError("must be after valid_from", "valid_until")
    sched = obj.get("schedule", {"days": [d.value for d in Weekday], "sessions_per_day": 1})
    if not isinstance(sched, Mapping):
        raise PlanError("must be an object", "schedule")
    days_raw = sched.get("days")
    if not isinstance(days_raw, list) or not days_raw:
        raise PlanError("must be a non-empty list of mon..sun", "schedule.days")
    days = tuple(_enum(Weekday, d, f"schedule.days[{i}]") for i, d in enumerate(days_raw))
    if len(set(days)) != len(days):
        raise PlanError("lists a day twice", "schedule.days")
    schedule = Schedule(days, _int(sched, "sessions_per_day", "schedule.", 1, 6),
                        _times(sched.get("times", [])))
    exs = obj.get("exercises")
    if not isinstance(exs, list) or not exs:
        raise PlanError("must be a non-empty list", "exercises")
    if len(exs) > MAX_EXERCISES:
        raise PlanError(f"at most {MAX_EXERCISES} exercises", "exercises")
    exercises = tuple(_exercise(e, f"exercises[{i}]") for i, e in enumerate(exs))
    return Plan(plan_id, version, valid_from, valid_until, schedule, exercises)


def _times(raw: Any) -> tuple[str, ...]:
    """``schedule.times``: optional HH:MM reminder times, at most 6, none twice."""
    if not isinstance(raw, list) or len(raw) > 6 or not all(
            isinstance(t, str) and _HHMM.match(t) for t in raw):
        raise PlanError("must be a list of at most 6 HH:MM times", "schedule.times")
    if len(set(raw)) != len(raw):
        raise PlanError("lists a time twice", "schedule.times")
    return tuple(sorted(raw))


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The JSON form :func:`parse_plan` reads back to an equal Plan."""
    sched: dict[str, Any] = {"days": [str(d) for d in plan.schedule.days],
                             "sessions_per_day": plan.schedule.sessions_per_day}
    if plan.schedule.times:
        sched["times"] = list(plan.schedule.times)
    return {
        "plan_id": plan.plan_id,
        "version": plan.version,
        "valid_from": plan.valid_from.isoformat(),
        "valid_until": plan.valid_until.isoformat(),
        "schedule": sched,
        "exercises": [
            {"exercise_id": e.exercise_id, "name": e.name, "instructions": e.instructions,
             "side": str(e.side), "sensors": [str(s) for s in e.sensors], "sets": e.sets,
             "reps": e.reps, "target_rom_deg": e.target_rom_deg, "hold_s": e.hold_s,
             "up_s": e.up_s, "down_s": e.down_s, "rest_s": e.rest_s}
            for e in plan.exercises
        ],
    }


def _exercise(e: Any, path: str) -> PlanExercise:
    if not isinstance(e, Mapping):
        raise PlanError("must be an object", path)
    ex_id = e.get("exercise_id")
    if not isinstance(ex_id, str) or ex_id not in CATALOGUE:
        raise PlanError(f"unknown exercise {ex_id!r}; known: {', '.join(sorted(CATALOGUE))}",
                        f"{path}.exercise_id")
    cat = CATALOGUE[ex_id]
    p = path + "."
    sensors_raw = e.get("sensors", [str(cat.distal)])
    if not isinstance(sensors_raw, list) or not 1 <= len(sensors_raw) <= 2:
        raise PlanError("must list one or two body segments", f"{p}sensors")
    sensors = tuple(_enum(BodySegment, s, f"{p}sensors[{i}]") for i, s in enumerate(sensors_raw))
    return PlanExercise(
        exercise_id=ex_id,
        name=_text(e, "name", p, 120, cat.name),
        instructions=_text(e, "instructions", p, MAX_TEXT, cat.instructions),
        side=_enum(Side, e.get("side", "right"), f"{p}side"),
        sensors=sensors,
        sets=_int(e, "sets", p, 1, MAX_SETS, cat.sets),
        reps=_int(e, "reps", p, 1, MAX_REPS, cat.reps),
        target_rom_deg=_num(e, "target_rom_deg", p, 1.0, MAX_ROM_DEG, cat.target_rom_deg),
        hold_s=_num(e, "hold_s", p, 0.0, MAX_HOLD_S, cat.hold_s),
        up_s=_num(e, "up_s", p, 0.1, MAX_TEMPO_S, cat.up_s),
        down_s=_num(e, "down_s", p, 0.1, MAX_TEMPO_S, cat.down_s),
        rest_s=_num(e, "rest_s", p, 0.0, MAX_REST_S, cat.rest_s),
    )


_MISSING = object()


def _get(obj: Mapping[str, Any], key: str, prefix: str, default: Any) -> Any:
    value = obj.get(key, default)
    if value is _MISSING:
        raise PlanError("is required", prefix + key)
    return value


def _int(obj: Mapping[str, Any], key: str, prefix: str, lo: int, hi: int,
         default: Any = _MISSING) -> int:
    v = _get(obj, key, prefix, default)
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise PlanError(f"must be an integer {lo}..{hi}, got {v!r:.40}", prefix + key)
    return v


def _num(obj: Mapping[str, Any], key: str, prefix: str, lo: float, hi: float,
         default: Any = _MISSING) -> float:
    v = _get(obj, key, prefix, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise PlanError(f"must be a number {lo:g}..{hi:g}, got {v!r:.40}", prefix + key)
    f = float(v)
    if not math.isfinite(f) or not lo <= f <= hi:
        raise PlanError(f"must be a number {lo:g}..{hi:g}, got {v!r:.40}", prefix + key)
    return f


def _text(obj: Mapping[str, Any], key: str, prefix: str, max_len: int,
          default: Any = _MISSING) -> str:
    v = _get(obj, key, prefix, default)
    if not isinstance(v, str) or len(v) > max_len:
        raise PlanError(f"must be text of at most {max_len} characters", prefix + key)
    return v


def _time(obj: Mapping[str, Any], key: str, prefix: str) -> datetime:
    return parse_time(_get(obj, key, prefix, _MISSING), prefix + key)


def _enum(kind: Any, value: Any, path: str) -> Any:
    try:
        return kind(value)
    except (ValueError, TypeError):
        allowed = ", ".join(m.value for m in kind)
        raise PlanError(f"must be one of {allowed}, got {value!r:.40}", path) from None
