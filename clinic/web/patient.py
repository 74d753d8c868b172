"""What the patient page shows for one device: per-exercise ROM against the target, pain
before/after (with the patient's notes on it), quality flags, an adherence calendar,
questionnaire answers, sessions, and one session's reps and pain. Reads the store's tables;
values that are not numbers are left out (a hostile or damaged row must not break the page).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, NamedTuple

from sqlalchemy import and_, select
from sqlalchemy.engine import Engine

from clinic.schema import pain, resources, sessions
from clinic.session_gaps import gap_summary
from clinic.web.caseload import WEEKDAYS, PlanCache
from therapy.fhir import CODES, ROM_CODE
from therapy.plan import Plan

FLAG_SESSIONS = 20  # quality flags are counted over the newest sessions
RECENT_SESSIONS = 30  # sessions listed on the patient page (with their pain notes)
NOTE_CHARS = 500  # a pain note is shown up to this length
CAL_WEEKS = 6
ANSWER_ROWS = 10


class SessionLine(NamedTuple):
    identifier: str
    exercise: str
    started_at: str
    reps: int | None
    target_reps: int | None
    mean_rom_deg: float | None
    roms: tuple[float, ...]
    completed: bool
    pain_before: int | None
    pain_after: int | None
    sensor_lost: tuple[str, ...] = ()  # e.g. "Thigh sensor lost 2x (14 s in all)"
    note_before: str = ""  # the patient's note with the pain rating (the kiosk's pain screen)
    note_after: str = ""


class CalDay(NamedTuple):
    day: date
    scheduled: bool
    sessions: int
    future: bool


class SessionPain(NamedTuple):
    """One session's pain ratings and the notes given with them (the session page)."""

    before: int | None = None
    after: int | None = None
    note_before: str = ""
    note_after: str = ""


class RepLine(NamedTuple):
    label: str
    rom_deg: float | None
    hold_s: float | None
    up_s: float | None
    down_s: float | None
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PatientView:
    device: str
    sessions: tuple[SessionLine, ...]  # oldest first
    plan: Plan | None
    flags: dict[str, int]  # quality flag -> reps flagged in the newest sessions
    calendar: tuple[tuple[CalDay, ...], ...]  # weeks, Monday first
    answers: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]  # (when, form, items)

    def exercises(self) -> list[str]:
        return sorted({s.exercise for s in self.sessions})

    def target(self, exercise: str) -> float | None:
        if self.plan is None:
            return None
        try:
            return self.plan.exercise(exercise).target_rom_deg
        except KeyError:
            return None


def _num(v: object) -> float | None:
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    return float(v) if ok else None  # type: ignore[arg-type]


def _count(v: object) -> int | None:
    n = _num(v)
    return int(n) if n is not None and n == int(n) and 0 <= n <= 10_000 else None


def _roms(text: object) -> tuple[float, ...]:
    try:
        vals = json.loads(text) if isinstance(text, str) else []
    except ValueError:
        return ()
    return tuple(v for v in (_num(x) for x in vals) if v is not None) \
        if isinstance(vals, list) else ()


def _sensor_lost(gaps: object) -> tuple[str, ...]:
    """The session's wearable drop-outs in words; a damaged row says so, never breaks."""
    try:
        return tuple(gap_summary(gaps if isinstance(gaps, str) else None))
    except (ValueError, TypeError, KeyError, AttributeError):
        return ("wearable drop-outs unreadable",)


def load(engine: Engine, plans: PlanCache, device: str,
         now: datetime | None = None) -> PatientView:
    now = now or datetime.now(timezone.utc)
    with engine.connect() as conn:
        ratings = _ratings(conn, device)
        lines = []
        for row in conn.execute(
                select(sessions.c.identifier, sessions.c.exercise, sessions.c.started_at,
                       sessions.c.reps, sessions.c.target_reps, sessions.c.mean_rom_deg,
                       sessions.c.rom_list, sessions.c.completed, sessions.c.gaps)
                .where(sessions.c.device == device).order_by(sessions.c.started_at)):
            sid = str(row[0]).removeprefix("urn:uuid:")
            lines.append(SessionLine(row[0], str(row[1]), str(row[2]), _count(row[3]),
                                     _count(row[4]), _num(row[5]), _roms(row[6]),
                                     bool(row[7]), ratings.get((sid, "before")),
                                     ratings.get((sid, "after")), _sensor_lost(row[8])))
        notes = _pain_notes(conn, device, [s.identifier for s in lines[-RECENT_SESSIONS:]])
        if notes:
            lines = [s._replace(note_before=notes.get((s.identifier, "before"), ""),
                                note_after=notes.get((s.identifier, "after"), ""))
                     for s in lines]
        newest = [s.identifier for s in lines[-FLAG_SESSIONS:]]
        flags: Counter[str] = Counter()
        for (body,) in conn.execute(select(resources.c.body).where(
                resources.c.identifier.in_(newest))):
            for rep in _rep_lines(body):
                flags.update(rep.flags)
        answers = []
        for authored_body in conn.execute(
                select(resources.c.body).where(and_(
                    resources.c.device == device,
                    resources.c.resource_type == "QuestionnaireResponse"))
                .order_by(resources.c.received_at.desc()).limit(ANSWER_ROWS)):
            answers.append(_answers(authored_body[0]))
        plan = plans.latest(conn).get(device)
    return PatientView(device, tuple(lines), plan, dict(flags.most_common()),
                       _calendar(plan, lines, now.date()), tuple(answers))


def _ratings(conn: Any, device: str, session: str | None = None) -> dict[tuple[str, str], int]:
    """(session id, phase) -> pain rating of ``device`` (of one ``session`` when given); a
    rating not a whole number 0..10, or without its session, is left out."""
    q = select(pain.c.session, pain.c.phase, pain.c.rating).where(pain.c.device == device)
    if session is not None:
        q = q.where(pain.c.session == session)
    out: dict[tuple[str, str], int] = {}
    for sess, phase, rating in conn.execute(q):
        r = _count(rating)
        if sess and r is not None and r <= 10:
            out[(str(sess), str(phase))] = r
    return out


def _pain_notes(conn: Any, device: str, identifiers: list[str]) -> dict[tuple[str, str], str]:
    """(session identifier, phase) -> the note of its pain rating, for ``identifiers``
    (sessions' identifiers, ``urn:uuid:...``). The note lives only in the pain
    Observation's body (FHIR ``note``): read for these sessions' ratings alone."""
    by_sid = {str(i).removeprefix("urn:uuid:"): str(i) for i in identifiers}
    if not by_sid:
        return {}
    out: dict[tuple[str, str], str] = {}
    for sess, phase, body in conn.execute(
            select(pain.c.session, pain.c.phase, resources.c.body)
            .join(resources, resources.c.identifier == pain.c.identifier)
            .where(pain.c.device == device, pain.c.session.in_(list(by_sid)))):
        text = pain_note(body)
        if text and str(sess) in by_sid:
            out[(by_sid[str(sess)], str(phase))] = text
    return out


def pain_note(body: object) -> str:
    """The text of a pain Observation's ``note`` (several joined by "; "), shortened to
    :data:`NOTE_CHARS`; "" for none, or for a body that is not such JSON."""
    try:
        obs: Any = json.loads(body) if isinstance(body, str) else None
    except ValueError:
        return ""
    notes = obs.get("note") if isinstance(obs, dict) else None
    texts = [" ".join(n["text"].split()) for n in notes if isinstance(n, dict)
             and isinstance(n.get("text"), str)] if isinstance(notes, list) else []
    text = "; ".join(t for t in texts if t)
    return text if len(text) <= NOTE_CHARS else text[:NOTE_CHARS - 1] + "…"


def session_pain(engine: Engine, device: str, identifier: str) -> SessionPain:
    """One session's pain before and after, with their notes (a rating not a whole number
    0..10 is left out)."""
    sid = identifier.removeprefix("urn:uuid:")
    with engine.connect() as conn:
        ratings = _ratings(conn, device, sid)
        notes = _pain_notes(conn, device, [identifier])
    return SessionPain(ratings.get((sid, "before")), ratings.get((sid, "after")),
                       notes.get((identifier, "before"), ""),
                       notes.get((identifier, "after"), ""))


def _calendar(plan: Plan | None, lines: list[SessionLine],
              today: date) -> tuple[tuple[CalDay, ...], ...]:
    per_day = Counter(s.started_at[:10] for s in lines)
    monday = today - timedelta(days=today.weekday() + 7 * (CAL_WEEKS - 1))
    weeks = []
    for w in range(CAL_WEEKS):
        days = []
        for i in range(7):
            d = monday + timedelta(days=7 * w + i)
            sched = plan is not None and WEEKDAYS[d.weekday()] in plan.schedule.days and \
                plan.valid_from.date() <= d <= plan.valid_until.date()
            days.append(CalDay(d, sched, per_day.get(d.isoformat(), 0), d > today))
        weeks.append(tuple(days))
    return tuple(weeks)


def _answers(body: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    try:
        qr: Any = json.loads(body)
    except ValueError:
        return ("?", "unreadable", ())
    items = []
    for item in qr.get("item", []) if isinstance(qr, dict) else []:
        if not isinstance(item, dict):
            continue
        ans = item.get("answer") or [{}]
        value = next((v for k, v in ans[0].items() if k.startswith("value")), "")
        shown = "yes" if value is True else "no" if value is False else str(value)
        items.append((str(item.get("linkId", "?")), shown[:200]))
    form = str(qr.get("questionnaire", "")).rsplit(":", 1)[-1]
    return (str(qr.get("authored", "?")), form, tuple(items))


def session_reps(engine: Engine, device: str, identifier: str) -> list[RepLine] | None:
    """Per-rep detail of one session (None if the device has no such session)."""
    with engine.connect() as conn:
        body = conn.scalar(select(resources.c.body).where(and_(
            resources.c.identifier == identifier, resources.c.device == device,
            resources.c.resource_type == "Bundle")))
    return None if body is None else _rep_lines(body)


def _rep_lines(body: str) -> list[RepLine]:
    try:
        bundle: Any = json.loads(body)
    except ValueError:
        return []
    out = []
    for entry in bundle.get("entry", []) if isinstance(bundle, dict) else []:
        obs = entry.get("resource", {}) if isinstance(entry, dict) else {}
        if not isinstance(obs, dict) or not any(
                c.get("code") == ROM_CODE["code"] for c in obs.get("code", {}).get("coding", [])):
            continue
        comp: dict[str, Any] = {}
        flags = []
        for c in obs.get("component", []):
            code = next((k.get("code") for k in c.get("code", {}).get("coding", [])
                         if k.get("system") == CODES), None)
            if code == "quality-flag":
                flags.append(str(c.get("valueCodeableConcept", {}).get("text", "?")))
            elif code:
                comp[code] = c.get("valueQuantity", {}).get("value", c.get("valueString"))
        out.append(RepLine(str(comp.get("rep-number", "?")),
                           _num(obs.get("valueQuantity", {}).get("value")),
                           _num(comp.get("rep-hold")), _num(comp.get("rep-up")),
                           _num(comp.get("rep-down")), tuple(flags)))
    return out
