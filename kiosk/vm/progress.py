"""Progress: ROM trend per exercise, reps per day, pain before/after, adherence calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Sequence

from kiosk.adapters.history import SessionRow
from kiosk.i18n import _

CALENDAR_DAYS = 28


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    points: tuple[tuple[float, float], ...]  # (day index, value)
    target: float | None = None


@dataclass(frozen=True, slots=True)
class ProgressVM:
    exercise_names: tuple[str, ...]
    rom: tuple[Series, ...]  # one per exercise
    reps_per_day: tuple[int, ...]  # last CALENDAR_DAYS days, oldest first
    pain_before: Series
    pain_after: Series
    calendar: tuple[tuple[date, bool, bool], ...]  # day, exercise day, done
    days: int = CALENDAR_DAYS

    @property
    def adherence_text(self) -> str:
        planned = [c for c in self.calendar if c[1] and c[0] <= date.today()]
        done = sum(1 for c in planned if c[2])
        if not planned:
            return _("No exercise days planned yet")
        return _("{done} of {planned} exercise days done (4 weeks)").format(
            done=done, planned=len(planned))

    @property
    def empty(self) -> bool:
        return not any(s.points for s in self.rom)


def build_progress(sessions: Sequence[SessionRow], names: dict[str, str],
                   plan_days: set[str], now: datetime) -> ProgressVM:
    today = now.astimezone().date()
    first = today - timedelta(days=CALENDAR_DAYS - 1)

    def idx(s: SessionRow) -> float:
        return float((s.started_at.astimezone().date() - first).days)

    recent = [s for s in sessions if s.started_at.astimezone().date() >= first]
    rom = []
    for ex_id, name in names.items():
        mine = [s for s in recent if s.exercise_id == ex_id and s.mean_rom_deg is not None]
        target = mine[-1].target_rom_deg if mine else None
        rom.append(Series(name, tuple((idx(s), float(s.mean_rom_deg or 0)) for s in mine),
                          target))
    reps = [0] * CALENDAR_DAYS
    for s in recent:
        reps[int(idx(s))] += s.rep_count
    pb = Series("before", _daily_mean([(idx(s), s.pain_before) for s in recent]))
    pa = Series("after", _daily_mean([(idx(s), s.pain_after) for s in recent]))
    wd = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    done_days = {s.started_at.astimezone().date() for s in recent}
    cal = tuple((d, wd[d.weekday()] in plan_days, d in done_days)
                for d in (first + timedelta(days=i) for i in range(CALENDAR_DAYS)))
    return ProgressVM(tuple(names.values()), tuple(rom), tuple(reps), pb, pa, cal)


def _daily_mean(points: Sequence[tuple[float, int | None]]) -> tuple[tuple[float, float], ...]:
    """One point per day: the mean of that day's ratings (several sessions a day)."""
    days: dict[float, list[int]] = {}
    for day, v in points:
        if v is not None:
            days.setdefault(day, []).append(v)
    return tuple((d, sum(vs) / len(vs)) for d, vs in sorted(days.items()))
