"""Reminder times: the plan's when the clinic set them (they win), else the ones set in
Settings (the patient's own) on the Reminders screen, with +/- buttons."""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.i18n import _, ngettext

MAX_TIMES = 6
STEP_MIN = 15  # the small buttons move a time by 15 minutes, the big ones by an hour
NEW_TIME = "12:00"


def effective_times(settings_times: tuple[str, ...], plan_times: tuple[str, ...],
                    sessions_per_day: int) -> tuple[tuple[str, ...], bool]:
    """The times reminders fire at and whether the plan set them: the plan's own times
    all count; the kiosk's own, one per planned session a day."""
    if plan_times:
        return tuple(plan_times), True
    return tuple(settings_times)[:sessions_per_day], False


def _minutes(hhmm: str) -> int:
    h, m = (int(x) for x in hhmm.split(":"))
    return 60 * h + m


def _hhmm(minutes: int) -> str:
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(slots=True)
class ReminderTimesVM:
    times: list[str] = field(default_factory=list)  # the kiosk's own (Settings)
    plan_times: tuple[str, ...] = ()
    sessions_per_day: int = 1

    @property
    def from_plan(self) -> bool:
        return bool(self.plan_times)

    @property
    def in_use(self) -> tuple[str, ...]:
        return effective_times(tuple(self.times), self.plan_times, self.sessions_per_day)[0]

    @property
    def note(self) -> str:
        if self.from_plan:
            return _("Your clinic's plan sets the reminder times: {times}. The times "
                     "below are used when a plan sets none.").format(
                         times=", ".join(self.plan_times))
        n = self.sessions_per_day
        return ngettext("Your plan asks for {n} session a day: you are reminded at the "
                        "first time below only (the others are greyed).",
                        "Your plan asks for {n} sessions a day: you are reminded at the "
                        "first {n} times below.", n).format(n=n)

    def shift(self, i: int, minutes: int) -> None:
        moved = _hhmm(_minutes(self.times[i]) + minutes)
        if moved not in self.times:
            self.times[i] = moved
            self.times.sort(key=_minutes)

    def add(self) -> None:
        if len(self.times) >= MAX_TIMES:
            return
        t = NEW_TIME
        while t in self.times:
            t = _hhmm(_minutes(t) + 60)
        self.times.append(t)
        self.times.sort(key=_minutes)

    def remove(self, i: int) -> None:
        del self.times[i]
