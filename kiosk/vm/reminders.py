"""Reminders at the plan's exercise times and scheduled live sessions with a countdown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

from kiosk.i18n import _, fmt_weekday_time
from kiosk.vm.quarantine import QUARANTINE, Quarantine
from therapy.dates import is_sane
from therapy.records import Appointment

EARLY = timedelta(minutes=10)  # a live session can be joined 10 min before its start
MAX_MINUTES = 600


def showable(appts: Sequence[Appointment], q: Quarantine = QUARANTINE) -> list[Appointment]:
    """The appointments a screen can show; the others are quarantined (see quarantine)."""
    return q.keep("appointment", appts, _sane_appointment,
                  lambda a: f"start {str(a.start_at):.40}, {a.minutes!r:.12} min")


def _sane_appointment(a: Appointment) -> bool:
    ok_minutes = isinstance(a.minutes, int) and not isinstance(a.minutes, bool) \
        and 1 <= a.minutes <= MAX_MINUTES
    return is_sane(a.start_at) and ok_minutes \
        and (a.started_at is None or is_sane(a.started_at))


def due_reminder(times: Sequence[str], sessions_per_day: int, exercise_day: bool,
                 now: datetime, last_fired: datetime | None, done_today: bool) -> str | None:
    """The HH:MM reminder that fires now (once), or None."""
    if not exercise_day or done_today:
        return None
    local = now.astimezone()
    for hhmm in list(times)[:sessions_per_day]:
        h, m = (int(x) for x in hhmm.split(":"))
        at = local.replace(hour=h, minute=m, second=0, microsecond=0)
        if at <= local < at + timedelta(minutes=30) and (last_fired is None or last_fired < at):
            return hhmm
    return None


@dataclass(frozen=True, slots=True)
class AppointmentLine:
    id: str
    text: str
    live_now: bool


def appointment_lines(appts: Sequence[Appointment], now: datetime,
                      q: Quarantine = QUARANTINE) -> tuple[AppointmentLine, ...]:
    out = []
    for a in showable(appts, q):
        end = a.start_at + timedelta(minutes=a.minutes)
        if end < now:
            continue
        live = a.start_at - EARLY <= now <= end
        if live:
            text = _("Live session with your therapist: now")
        else:
            left = a.start_at - now
            h, rem = divmod(int(left.total_seconds()), 3600)
            d, h = divmod(h, 24)
            when = fmt_weekday_time(a.start_at)
            cd = f"{d} d {h} h" if d else f"{h} h {rem // 60} min" if h else f"{rem // 60} min"
            text = _("Live session {when}  (in {countdown})").format(when=when, countdown=cd)
        out.append(AppointmentLine(a.id, text, live))
    return tuple(out)


def live_appointment(appts: Sequence[Appointment], now: datetime,
                     q: Quarantine = QUARANTINE) -> str | None:
    return next((a.id for a in showable(appts, q) if a.start_at - EARLY <= now
                 <= a.start_at + timedelta(minutes=a.minutes)), None)
