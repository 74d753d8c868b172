"""Today screen: the plan's exercises with what is done today, the next one, the streak."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Sequence

from kiosk.adapters.history import SessionRow
from kiosk.vm.quarantine import QUARANTINE, Quarantine
from therapy.dates import is_sane
from therapy.plan import Plan, PlanExercise

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


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
        return (f"{min(self.sets_done, ex.sets)} of {ex.sets} sets  ·  "
                f"{self.reps_done} of {ex.sets * ex.reps} reps")


@dataclass(frozen=True, slots=True)
class TodayVM:
    items: tuple[TodayItem, ...]
    streak_days: int
    exercise_day: bool
    demo_plan: bool

    @property
    def next_item(self) -> TodayItem | None:
        return next((i for i in self.items if i.is_next), None)

    @property
    def all_done(self) -> bool:
        return all(i.done for i in self.items)

    @property
    def headline(self) -> str:
        if self.all_done:
            return "All done for today. Well done!"
        if not self.exercise_day:
            return "Rest day. You may still exercise if you feel like it."
        left = sum(1 for i in self.items if not i.done)
        return f"{left} exercise{'s' if left != 1 else ''} left today"

    @property
    def streak_text(self) -> str:
        d = self.streak_days
        return f"{d}-day streak" if d else "Start your streak today"


def showable(sessions: Sequence[SessionRow], q: Quarantine = QUARANTINE) -> list[SessionRow]:
    """Sessions with a time a screen can show; the others are quarantined."""
    out = []
    for s in sessions:
        if is_sane(s.started_at):
            out.append(s)
        else:
            q.skip("session", s.id, f"started {str(s.started_at):.40}")
    return out


def build_today(plan: Plan, sessions: Sequence[SessionRow], now: datetime,
                demo_plan: bool = False, q: Quarantine = QUARANTINE) -> TodayVM:
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
    return TodayVM(tuple(items), streak(sessions, today),
                   day in {str(d) for d in plan.schedule.days}, demo_plan)


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
