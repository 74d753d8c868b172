"""Caseload alert rules (pure): which facts about a patient need the therapist's eyes.

Red flag in intake or check-in, pain >= ``pain_high`` or ``pain_rise`` above the patient's
baseline (their first rating), a plan the device rejected, security events from the
device, a wearable whose newest reported battery level is below ``battery_low_pct``, and a
device silent for ``silent_days``. Thresholds are data (:class:`AlertRules`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class AlertRules:
    pain_high: int = 7
    pain_rise: int = 3
    silent_days: int = 3
    window_days: int = 7  # how far back facts still raise an alert
    battery_low_pct: int = 20  # a wearable's newest level below this: charge it


class Alert(NamedTuple):
    kind: str  # red_flag, pain, plan_rejected, security, battery, silent
    at: str  # ISO time of the fact ("" if none)
    text: str


SEVERITY = {"red_flag": 0, "pain": 1, "plan_rejected": 2, "security": 3, "battery": 4,
            "silent": 5}


def pain_alert(max_rating: int | None, at: str, baseline: int | None,
               rules: AlertRules) -> Alert | None:
    if max_rating is None:
        return None
    if max_rating >= rules.pain_high:
        return Alert("pain", at, f"pain {max_rating}/10")
    if baseline is not None and max_rating >= baseline + rules.pain_rise:
        return Alert("pain", at, f"pain {max_rating}/10, baseline {baseline}")
    return None


def battery_alert(segment: str, battery_pct: int, at: str, now: datetime,
                  rules: AlertRules) -> Alert | None:
    """The newest level a device reported for one wearable, if low and recent enough."""
    if battery_pct >= rules.battery_low_pct:
        return None
    try:
        then = datetime.fromisoformat(at)
    except ValueError:
        return None
    if then.tzinfo is None or now - then > timedelta(days=rules.window_days):
        return None
    return Alert("battery", at, f"{segment or 'wearable'} battery {battery_pct} %")


def silent_alert(last_contact: str | None, now: datetime, rules: AlertRules) -> Alert | None:
    if last_contact is None:
        return Alert("silent", "", "never heard from")
    try:
        then = datetime.fromisoformat(last_contact)
    except ValueError:
        return None
    if then.tzinfo is None or now - then < timedelta(days=rules.silent_days):
        return None
    return Alert("silent", last_contact, f"silent {(now - then).days} days")


def ordered(alerts: list[Alert]) -> tuple[Alert, ...]:
    return tuple(sorted(alerts, key=lambda a: (SEVERITY.get(a.kind, 9), a.at)))
