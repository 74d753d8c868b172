"""The caseload: one row per device with its state, last session, this week's adherence
against the plan, and alerts. A handful of queries for the whole clinic (never one query
per device; per-device figures are correlated subqueries the indexes answer with a seek),
so the page stays fast with a thousand devices. A device shows once it has reported its
status (every connection does) or has a plan.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection, Engine

from clinic.schema import devices, pain, plans, sessions
from clinic.quarantine_schema import refused_records
from clinic.status_schema import wearable_batteries
from clinic.web.alerts import (Alert, AlertRules, battery_alert, ordered, pain_alert,
                               silent_alert)
from clinic.web_schema import web_labels, web_notes
from therapy.errors import PlanError
from therapy.plan import Plan, parse_plan_bytes

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class CaseRow:
    device: str
    label: str
    state: str  # online, offline, unknown
    last_contact: str | None
    last_session: str | None
    days_done: int  # scheduled days this week with a session
    days_planned: int | None  # scheduled days this week so far (None: no plan)
    alerts: tuple[Alert, ...]
    # the newest battery level per wearable: (segment, percent, ISO time), by segment
    batteries: tuple[tuple[str, int, str], ...] = ()

    @property
    def newest(self) -> str:
        return max(self.last_session or "", *(a.at for a in self.alerts), "")


class PlanCache:
    """Parsed plans by (device, version): a version never changes once pushed."""

    def __init__(self) -> None:
        self._plans: dict[tuple[str, int], Plan | None] = {}
        self._lock = threading.Lock()

    def latest(self, conn: Connection) -> dict[str, Plan | None]:
        latest = conn.execute(select(plans.c.device, func.max(plans.c.version))
                              .group_by(plans.c.device)).all()
        with self._lock:
            missing = [(d, v) for d, v in latest if (d, v) not in self._plans]
        for d, v in missing:
            text = conn.scalar(select(plans.c.plan_text).where(
                and_(plans.c.device == d, plans.c.version == v)))
            try:
                plan: Plan | None = parse_plan_bytes(text or "")
            except PlanError:
                plan = None
            with self._lock:
                self._plans[(d, v)] = plan
        with self._lock:
            return {d: self._plans[(d, v)] for d, v in latest}


def scheduled_days(plan: Plan | None, monday: date, today: date) -> list[date] | None:
    """Scheduled days of this week up to today within the plan's validity (None: no plan)."""
    if plan is None:
        return None
    out, d = [], monday
    while d <= today:
        if (WEEKDAYS[d.weekday()] in plan.schedule.days
                and plan.valid_from.date() <= d <= plan.valid_until.date()):
            out.append(d)
        d += timedelta(days=1)
    return out


class Caseload:
    def __init__(self, engine: Engine, rules: AlertRules = AlertRules()) -> None:
        self.engine = engine
        self.rules = rules
        self.plans = PlanCache()
        self._baseline: dict[str, int] = {}

    def row(self, device: str, now: datetime | None = None) -> CaseRow | None:
        """One device's row (the patient page's alerts)."""
        found = self.rows(now, only=device)
        return found[0] if found else None

    def rows(self, now: datetime | None = None, only: str | None = None) -> list[CaseRow]:
        now = now or datetime.now(timezone.utc)
        today = now.date()
        monday = today - timedelta(days=today.weekday())
        since = (now - timedelta(days=self.rules.window_days)).isoformat()
        week = monday.isoformat()
        day = func.substr(sessions.c.started_at, 1, 10)
        # every device that reported its status or has a plan; per device, index seeks
        # (sessions and pain by device and time), never a scan of all sessions
        ids_q = select(devices.c.device).union(select(plans.c.device))
        if only is not None:
            ids_q = select(devices.c.device).where(devices.c.device == only).union(
                select(plans.c.device).where(plans.c.device == only))
        ids = ids_q.subquery()
        last_q = (select(func.max(sessions.c.started_at))
                  .where(sessions.c.device == ids.c.device).scalar_subquery())
        pain_q = (select(func.max(pain.c.rating)).where(
            and_(pain.c.device == ids.c.device, pain.c.at >= since)).scalar_subquery())
        pain_at_q = (select(func.max(pain.c.at)).where(
            and_(pain.c.device == ids.c.device, pain.c.at >= since)).scalar_subquery())
        with self.engine.connect() as conn:
            state_q = select(devices.c.device, devices.c.state, devices.c.last_seen)
            if only is not None:
                state_q = state_q.where(devices.c.device == only)
            states = {d: (s, seen) for d, s, seen in conn.execute(state_q)}
            last_session, pains = {}, {}
            for d, last, rating, rated_at in conn.execute(
                    select(ids.c.device, last_q, pain_q, pain_at_q)):
                last_session[d] = last
                if rating is not None:
                    pains[d] = (rating, rated_at)
            week_days: dict[str, set[date]] = {}
            for d, iso_day in conn.execute(
                    select(sessions.c.device, day).distinct().where(and_(
                        sessions.c.device.in_(select(ids.c.device)),
                        sessions.c.started_at >= week))):
                try:
                    week_days.setdefault(d, set()).add(date.fromisoformat(iso_day))
                except (TypeError, ValueError):
                    continue  # a damaged time is no day
            notes: dict[str, list[Alert]] = {}
            for d, kind, at, detail in conn.execute(
                    select(web_notes.c.device, web_notes.c.kind, web_notes.c.at,
                           web_notes.c.detail).where(web_notes.c.at >= since)):
                notes.setdefault(d, []).append(Alert(kind, at, detail))
            batteries: dict[str, list[tuple[str, int, str]]] = {}
            b = wearable_batteries.c
            bq = select(b.device, b.segment, b.battery_pct, b.at).order_by(b.segment)
            for d, seg, pct, at in conn.execute(
                    bq if only is None else bq.where(b.device == only)):
                batteries.setdefault(d, []).append((str(seg), int(pct), str(at)))
            rr = refused_records.c  # records refused for good, kept in quarantine (R1)
            refused = {d: (int(n), str(at)) for d, n, at in conn.execute(
                select(rr.device, func.count(), func.max(rr.last_at))
                .where(rr.last_at >= since).group_by(rr.device))}
            labels: dict[str, str] = {d: lb for d, lb in conn.execute(
                select(web_labels.c.device, web_labels.c.label))}
            self._load_baselines(conn, [d for d in pains if d not in self._baseline])
            latest_plans = self.plans.latest(conn)
        out = []
        for device in sorted(last_session):
            state, seen = states.get(device, ("unknown", None))
            last = last_session.get(device)
            plan = latest_plans.get(device)
            scheduled = scheduled_days(plan, monday, today)
            done = len(week_days.get(device, set()) & set(scheduled or ()))
            alerts = list(notes.get(device, []))
            rating, at = pains.get(device, (None, ""))
            if a := pain_alert(_int(rating), at, self._baseline.get(device), self.rules):
                alerts.append(a)
            for seg, pct, at in batteries.get(device, ()):
                if a := battery_alert(seg, pct, at, now, self.rules):
                    alerts.append(a)
            if device in refused:  # the patient's kiosk says "call your clinic"
                n, at = refused[device]
                alerts.append(Alert("refused", at, f"{n} refused record{'s' * (n != 1)}"))
            contact = max((t for t in (seen, last) if t), default=None)
            if a := silent_alert(contact, now, self.rules):
                alerts.append(a)
            out.append(CaseRow(device, labels.get(device, ""), state, contact, last, done,
                               None if scheduled is None else len(scheduled),
                               ordered(alerts), tuple(batteries.get(device, ()))))
        return out

    def _load_baselines(self, conn: Connection, wanted: list[str]) -> None:
        """The baseline is a patient's first pain rating; it never changes once known."""
        if not wanted:
            return
        first = (select(pain.c.device, func.min(pain.c.at).label("m"))
                 .where(pain.c.device.in_(wanted)).group_by(pain.c.device).subquery())
        for d, rating in conn.execute(select(pain.c.device, pain.c.rating).join(
                first, and_(pain.c.device == first.c.device, pain.c.at == first.c.m))):
            if (r := _int(rating)) is not None:
                self._baseline.setdefault(d, r)


def _int(v: object) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 10 else None


SORT_KEYS = {
    "newest": lambda r: r.newest,
    "device": lambda r: (r.label or "~", r.device),
    "state": lambda r: (r.state, r.device),
    "last_contact": lambda r: r.last_contact or "",
    "last_session": lambda r: r.last_session or "",
    "adherence": lambda r: (r.days_done / r.days_planned if r.days_planned else 2.0),
    "alerts": lambda r: (len(r.alerts), r.newest),
}


def sort_rows(rows: list[CaseRow], key: str, descending: bool) -> list[CaseRow]:
    return sorted(rows, key=SORT_KEYS.get(key, SORT_KEYS["newest"]), reverse=descending)
