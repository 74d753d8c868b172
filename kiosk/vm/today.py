"""Today screen: the plan's exercises with what is done today, the next one, the streak."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Sequence

from kiosk.adapters.history import SessionRow
from kiosk.vm.quarantine import QUARANTINE, Quarantine
from kiosk.i18n import _, fmt_date, ngettext
from therapy.dates import is_sane
from therapy.plan import Plan, PlanExercise

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class PlanState:
    """Whether the plan can be followed today: ``state`` is "current", "demo" (no clinic
    plan ever came), "ended" or "not_started"; ``text`` what the patient reads."""

    state: str
    text: str

    @property
    def usable(self) -> bool:
        return self.state in ("current", "demo")


def plan_state(plan: Plan, demo: bool, now: datetime) -> PlanState:
    if demo:
        return PlanState("demo", _("Demo plan: your clinic has not sent a plan yet."))
    if now >= plan.valid_until:
        return PlanState("ended", _(
            "Your exercise plan ended on {date}. Please contact your clinic for a new "
            "plan.").format(date=fmt_date(plan.valid_until)))
    if now < plan.valid_from:
        return PlanState("not_started", _(
            "Your exercise plan starts on {date}. Please contact your clinic if you "
            "expected it sooner.").format(date=fmt_date(plan.valid_from)))
    return PlanState("current", "")


@dataclass(frozen=True, slots=True)
class TodayItem:
    exercise: PlanExercise
    sets_done: int
    reps_done: int
    is_next: bool

    @property
    def done(self) -> bool:
        return self.sets_done >= self.exercise.sets

    @property
    def progress_text(self) -> str:
        ex = self.exercise
        return _("{done} of {sets} sets  ·  {reps} of {total} reps").format(
            done=min(self.sets_done, ex.sets), sets=ex.sets, reps=self.reps_done,
            total=ex.sets * ex.reps)


@dataclass(frozen=True, slots=True)
class TodayVM:
    items: tuple[TodayItem, ...]
    streak_days: int
    exercise_day: bool
    demo_plan: bool
    state: PlanState = PlanState("current", "")
    note: str = ""  # a calm note above the plan (an interrupted session was kept)

    @property
    def next_item(self) -> TodayItem | None:
        return next((i for i in self.items if i.is_next), None)

    @property
    def all_done(self) -> bool:
        """Nothing left to do today (an ended plan has nothing to do: no reminder)."""
        return all(i.done for i in self.items)

    @property
    def headline(self) -> str:
        if not self.state.usable:
            return _("No exercises for now")
        if self.all_done:
            return _("All done for today. Well done!")
        if not self.exercise_day:
            return _("Rest day. You may still exercise if you feel like it.")
        left = sum(1 for i in self.items if not i.done)
        return ngettext("{n} exercise left today", "{n} exercises left today",
                        left).format(n=left)

    @property
    def streak_text(self) -> str:
        d = self.streak_days
        return ngettext("{n}-day streak", "{n}-day streak", d).format(n=d) if d \
            else _("Start your streak today")


def showable(sessions: Sequence[SessionRow], q: Quarantine = QUARANTINE) -> list[SessionRow]:
    """Sessions with a time a screen can show; the others are quarantined."""
    return q.keep("session", sessions, lambda s: is_sane(s.started_at),
                  lambda s: f"started {str(s.started_at):.40}")


def build_today(plan: Plan, sessions: Sequence[SessionRow], now: datetime,
                demo_plan: bool = False, q: Quarantine = QUARANTINE,
                state: PlanState | None = None, note: str = "") -> TodayVM:
    today = now.astimezone().date()
    sessions = showable(sessions, q)
    todays = [s for s in sessions if s.started_at.astimezone().date() == today]
    items: list[TodayItem] = []
    next_given = False
    for ex in plan.exercises:
        mine = [s for s in todays if s.exercise_id == ex.exercise_id]
        sets = sum(s.sets_done for s in mine)
        reps = sum(s.rep_count for s in mine)
        is_next = not next_given and sets < ex.sets
        next_given = next_given or is_next
        items.append(TodayItem(ex, sets, reps, is_next))
    day = WEEKDAYS[today.weekday()]
    state = state or plan_state(plan, demo_plan, now)
    if not state.usable:
        items = []  # an ended plan offers nothing (and never the demo plan)
    return TodayVM(tuple(items), streak(sessions, today),
                   day in {str(d) for d in plan.schedule.days}, demo_plan, state, note)


def interrupted_note(reps: int) -> str:
    """What Today says once a session a crash or power cut interrupted was kept
    (``KioskModel`` stores it at start-up)."""
    if reps <= 0:
        return _("Your last session was interrupted. What you did was saved and will reach "
                 "your therapist.")
    return ngettext("Your last session was interrupted. The {n} rep you did was saved and "
                    "will reach your therapist.",
                    "Your last session was interrupted. The {n} reps you did were saved and "
                    "will reach your therapist.", reps).format(n=reps)


def streak(sessions: Sequence[SessionRow], today: date) -> int:
    """Consecutive days with at least one session, ending today (or yesterday when today
    has none yet)."""
    days = {s.started_at.astimezone().date() for s in sessions}
    d = today if today in days else today - timedelta(days=1)
    n = 0
    while d in days:
        n += 1
        d -= timedelta(days=1)
    return n
