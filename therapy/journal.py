"""The running session's journal, as values (no I/O): what a crash or power cut must not lose.

The :class:`~therapy.session.SessionController` writes, as each happens, the session's start
(:class:`DraftHeader`: exercise, targets, plan version, appointment), each set begun with
its sources, the pain before, each confirmed rep and each wearable outage as it starts and
ends (:class:`DraftGap`, with the :class:`ClockPair` read when its set's wearables began to
be supervised), through a :class:`SessionJournal`
(``therapy.drafts.DraftJournal`` keeps them in the device store, one small transaction
each). What a dead process left behind is a :class:`Draft`; :meth:`Draft.record` makes it
the session not completed that a stop would have stored (``KioskModel.keep_unfinished``):
the confirmed reps, the pain before, ended at its last rep (its gaps are stored beside it,
as a set's end stores them, and placed in calendar time by their clock pair as a live
session places them: :meth:`DraftGap.record`). A draft that cannot be read (a
damaged row, an exercise this version does not know) raises :class:`DraftError`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, Sequence, TypeGuard

from therapy.catalogue import CATALOGUE
from therapy.dates import MAX_YEAR, MIN_YEAR, is_sane
from therapy.errors import TherapyError
from therapy.plan import PlanExercise
from therapy.records import GapRecord, PainPhase, PainReport, RepRecord, SessionRecord


class DraftError(TherapyError):
    """A journal entry that cannot be read back (what is wrong, in the message)."""


@dataclass(frozen=True, slots=True)
class DraftHeader:
    """The session's start: everything its record needs besides reps and pains."""

    exercise_id: str
    side: str
    joint: str
    started_at: datetime
    target_sets: int
    target_reps: int
    target_rom_deg: float
    target_hold_s: float
    plan_version: int | None = None
    appointment_id: str | None = None
    # a set started during a video visit (therapy.supervised.Supervision): (call, appointment)
    supervision: tuple[str, str] | None = None

    @classmethod
    def of(cls, ex: PlanExercise, started_at: datetime, plan_version: int | None,
           appointment_id: str | None, encoder: object = None) -> DraftHeader:
        """The header of a session of ``ex`` (marked supervised when ``encoder`` is a
        ``therapy.supervised.SupervisedEncoder``)."""
        sup = getattr(encoder, "supervision", None)
        return cls(ex.exercise_id, str(ex.side), str(ex.exercise.joint), started_at, ex.sets,
                   ex.reps, ex.target_rom_deg, ex.hold_s, plan_version, appointment_id,
                   (sup.call, sup.appointment) if sup is not None else None)

    def to_json(self) -> str:
        return json.dumps({
            "exercise": self.exercise_id, "side": self.side, "joint": self.joint,
            "started_at": self.started_at.isoformat(), "sets": self.target_sets,
            "reps": self.target_reps, "rom_deg": self.target_rom_deg,
            "hold_s": self.target_hold_s, "plan_version": self.plan_version,
            "appointment": self.appointment_id,
            "supervision": list(self.supervision) if self.supervision else None})

    @classmethod
    def from_json(cls, text: str) -> DraftHeader:
        d = _object(text, "header")
        ex = _str(d, "exercise")
        if ex not in CATALOGUE:
            raise DraftError(f"header: unknown exercise {ex!r}")
        sup = d.get("supervision")
        if sup is not None and not (isinstance(sup, list) and len(sup) == 2
                                    and all(isinstance(s, str) for s in sup)):
            raise DraftError(f"header: supervision must be [call, appointment], got {sup!r}")
        plan_version = d.get("plan_version")
        if plan_version is not None and not _is_int(plan_version):
            raise DraftError(f"header: plan_version must be a whole number, got "
                             f"{plan_version!r}")
        appointment = d.get("appointment")
        if appointment is not None and not isinstance(appointment, str):
            raise DraftError(f"header: appointment must be text, got {appointment!r}")
        return cls(ex, _str(d, "side"), _str(d, "joint"), _time(d, "started_at", "header"),
                   _count(d, "sets", "header"), _count(d, "reps", "header"),
                   _num(d, "rom_deg", "header"), _num(d, "hold_s", "header"),
                   plan_version, appointment, (sup[0], sup[1]) if sup else None)


def rep_to_json(rep: RepRecord) -> str:
    return json.dumps(rep.to_json())


def rep_from_json(text: str, set_no: int, n: int) -> RepRecord:
    """A journal rep row; ``set_no`` and ``n`` are its key columns, which must agree."""
    d = _object(text, f"rep {set_no}.{n}")
    where = f"rep {set_no}.{n}"
    if d.get("set") != set_no or d.get("n") != n:
        raise DraftError(f"{where}: its body says set {d.get('set')!r} rep {d.get('n')!r}")
    flags = d.get("flags", [])
    if not (isinstance(flags, list) and all(isinstance(f, str) for f in flags)):
        raise DraftError(f"{where}: flags must be a list of names, got {flags!r}")
    source = d.get("source", "")
    if not isinstance(source, str):
        raise DraftError(f"{where}: source must be text, got {source!r}")
    return RepRecord(set_no, n, _num(d, "t_start_s", where), _num(d, "t_end_s", where),
                     _num(d, "rom_deg", where), _num(d, "hold_s", where),
                     _num(d, "up_s", where), _num(d, "down_s", where), tuple(flags), source)


def pain_to_json(p: PainReport) -> str:
    return json.dumps({"id": p.id, "rating": p.rating, "note": p.note,
                       "at": p.at.isoformat()})


def pain_from_json(text: str, session_id: str) -> PainReport:
    d = _object(text, "pain before")
    rating = d.get("rating")
    if not (_is_int(rating) and 0 <= rating <= 10):
        raise DraftError(f"pain before: rating must be 0..10, got {rating!r}")
    note = d.get("note", "")
    if not isinstance(note, str):
        raise DraftError(f"pain before: note must be text, got {note!r}")
    return PainReport(_str(d, "id"), rating, PainPhase.BEFORE,
                      _time(d, "at", "pain before"), session_id, note)


@dataclass(frozen=True, slots=True)
class ClockPair:
    """The wall clock (``therapy.ports.WallClock``) and the host clock (monotonic seconds,
    ``protocol.clock.Clock``: what wearable outages are timed on) read at one moment, when a
    set's wearables began to be supervised. Both of one boot, so a host time of that set can
    be placed in calendar time, by the live session or by the next start after a crash."""

    wall: datetime
    host_s: float

    def place(self, host_s: float) -> datetime:
        """The calendar time of ``host_s`` (a host-clock time of the same boot)."""
        return self.wall + timedelta(seconds=host_s - self.host_s)


@dataclass(frozen=True, slots=True)
class DraftGap:
    """One wearable outage of a set (``sensors.set_supervision.SetGap``, host-clock
    seconds), journaled when it starts (``end_s`` None) and again when it ends, with the
    clock pair of its set's supervision (None: none was read, or an older program's row)."""

    set_no: int
    sensor_id: str
    segment: str
    start_s: float
    end_s: float | None  # None: not back (yet, or before the crash)
    reason: str
    clock: ClockPair | None = None

    def row(self) -> tuple[int, str, str, float, float | None, str]:
        """As ``wearable_gaps`` keeps it (after the session id)."""
        return (self.set_no, self.sensor_id, self.segment, self.start_s, self.end_s,
                self.reason)

    def clock_row(self) -> tuple[str | None, float | None]:
        """Its clock pair as ``draft_gaps`` keeps it (``wall_at``, ``host_s``)."""
        c = self.clock
        return (None, None) if c is None else (c.wall.isoformat(), c.host_s)

    def record(self) -> GapRecord:
        """As the session record keeps it, the live session's and a recovered draft's alike:
        placed in calendar time by its clock pair (without one, no time of day)."""
        return GapRecord(self.set_no, self.sensor_id, self.segment, self.start_s, self.end_s,
                         self.reason,
                         None if self.clock is None else self.clock.place(self.start_s))


def gap_from_row(set_no: object, sensor_id: object, segment: object, start_s: object,
                 end_s: object, reason: object, wall_at: object = None,
                 host_s: object = None) -> DraftGap:
    """A journal gap row, checked (:class:`DraftError` naming what is wrong); ``wall_at``
    and ``host_s`` are its clock pair, both NULL in an older program's row."""
    where = f"gap of set {set_no!r}"
    if not (_is_int(set_no) and set_no >= 1):
        raise DraftError(f"{where}: set must be a whole number >= 1")
    texts = {"sensor_id": sensor_id, "segment": segment, "reason": reason}
    for key, v in texts.items():
        if not isinstance(v, str):
            raise DraftError(f"{where}: {key} must be text, got {v!r}")
    d = {"start_s": start_s} | ({} if end_s is None else {"end_s": end_s})
    start = _num(d, "start_s", where)
    end = None if end_s is None else _num(d, "end_s", where)
    if end is not None and end < start:
        raise DraftError(f"{where}: ends ({end}) before it starts ({start})")
    clock = None
    if wall_at is not None or host_s is not None:
        if wall_at is None or host_s is None:
            raise DraftError(f"{where}: its clock pair needs both wall_at and host_s, got "
                             f"{wall_at!r} and {host_s!r}")
        clock = ClockPair(_parse_time(wall_at, f"{where}: wall_at"),
                          _num({"host_s": host_s}, "host_s", where))
    return DraftGap(set_no, str(sensor_id), str(segment), start, end, str(reason), clock)


@dataclass(frozen=True, slots=True)
class Draft:
    """A session's journal read back: header, sets begun, pain before, reps (with when each
    was confirmed), in set and rep order, and the wearables' outages."""

    session_id: str
    header: DraftHeader
    sets_done: int
    pain_before: PainReport | None
    reps: tuple[tuple[RepRecord, datetime], ...]
    last_at: datetime
    gaps: tuple[DraftGap, ...] = ()

    @property
    def worth_keeping(self) -> bool:
        """The patient did something (a rep or a pain before), as a stop judges it."""
        return bool(self.reps) or self.pain_before is not None

    def record(self) -> SessionRecord:
        """The session not completed that it stands for, ended at its last rep (else at its
        last entry)."""
        h = self.header
        ended = max(at for _rep, at in self.reps) if self.reps else self.last_at
        return SessionRecord(
            id=self.session_id, exercise_id=h.exercise_id, side=h.side, joint=h.joint,
            started_at=h.started_at, ended_at=max(ended, h.started_at),
            target_sets=h.target_sets, target_reps=h.target_reps,
            target_rom_deg=h.target_rom_deg, target_hold_s=h.target_hold_s,
            reps=tuple(rep for rep, _at in self.reps), sets_done=self.sets_done,
            completed=False, plan_version=h.plan_version, appointment_id=h.appointment_id,
            pains=(self.pain_before,) if self.pain_before is not None else (),
            gaps=tuple(g.record() for g in self.gaps))


def read_draft(session_id: str, header: str, sets_done: object, pain_before: str | None,
               last_at: str, reps: Sequence[tuple[object, object, str, str]],
               gaps: Sequence[Sequence[object]] = ()) -> Draft:
    """A :class:`Draft` from its stored columns (``reps``: set_no, n, body, at; ``gaps``:
    set_no, sensor_id, segment, start_s, end_s, reason and optionally wall_at, host_s);
    raises :class:`DraftError` naming
    the first thing wrong."""
    if not (_is_int(sets_done) and sets_done >= 0):
        raise DraftError(f"sets_done must be a whole number >= 0, got {sets_done!r}")
    got: list[tuple[RepRecord, datetime]] = []
    for set_no, n, body, at in reps:
        if not (_is_int(set_no) and _is_int(n)):
            raise DraftError(f"rep key must be whole numbers, got {set_no!r}.{n!r}")
        got.append((rep_from_json(body, set_no, n), _parse_time(at, f"rep {set_no}.{n} at")))
    if any(rep.set_no > sets_done for rep, _at in got):
        raise DraftError(f"a rep of a set after the {sets_done} begun")
    # an outage while the next set's wearables were watched, before it began: no set of it
    outages = tuple(g for g in (gap_from_row(*row) for row in gaps) if g.set_no <= sets_done)
    return Draft(session_id, DraftHeader.from_json(header), int(sets_done),
                 pain_from_json(pain_before, session_id) if pain_before is not None else None,
                 tuple(sorted(got, key=lambda r: (r[0].set_no, r[0].n))),
                 _parse_time(last_at, "last_at"),
                 tuple(sorted(outages, key=lambda g: (g.set_no, g.start_s, g.sensor_id))))


class SessionJournal(Protocol):
    """Where the controller writes the running session as it happens (one durable write
    each). ``header`` is written (or replaced) with each set and the pain before."""

    def set_started(self, session_id: str, header: DraftHeader, set_no: int,
                    sources: Sequence[str], at: datetime) -> None: ...

    def pain_before(self, session_id: str, header: DraftHeader, pain: PainReport) -> None: ...

    def rep(self, session_id: str, rep: RepRecord, at: datetime) -> None: ...

    def gap(self, session_id: str, gap: DraftGap) -> None:
        """A wearable outage began (``end_s`` None) or ended (replaces the one begun)."""

    def drop(self, session_id: str) -> None:
        """Nothing of this session is to be kept (the patient left it with nothing done)."""


# --- checks on decoded JSON -----------------------------------------------------------------
def _object(text: Any, what: str) -> dict[str, Any]:
    try:
        d = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise DraftError(f"{what}: not readable JSON ({exc})") from exc
    if not isinstance(d, dict):
        raise DraftError(f"{what}: not a JSON object")
    return d


def _is_int(v: object) -> TypeGuard[int]:
    return isinstance(v, int) and not isinstance(v, bool)


def _str(d: dict[str, Any], key: str) -> str:
    v = d.get(key)
    if not isinstance(v, str) or not v:
        raise DraftError(f"{key} must be non-empty text, got {v!r}")
    return v


def _count(d: dict[str, Any], key: str, what: str) -> int:
    v = d.get(key)
    if not (_is_int(v) and v >= 1):
        raise DraftError(f"{what}: {key} must be a whole number >= 1, got {v!r}")
    return int(v)


def _num(d: dict[str, Any], key: str, what: str) -> float:
    v = d.get(key)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise DraftError(f"{what}: {key} must be a finite number, got {v!r}")
    return float(v)


def _time(d: dict[str, Any], key: str, what: str) -> datetime:
    return _parse_time(d.get(key), f"{what}: {key}")


def _parse_time(v: object, what: str) -> datetime:
    if not isinstance(v, str):
        raise DraftError(f"{what} must be an ISO time, got {v!r}")
    try:
        t = datetime.fromisoformat(v)
    except ValueError as exc:
        raise DraftError(f"{what} must be an ISO time, got {v!r}") from exc
    if not is_sane(t):
        raise DraftError(f"{what} must have a time zone and a year {MIN_YEAR}..{MAX_YEAR}, "
                         f"got {v!r}")
    return t
