"""Sane dates for everything the clinic sends and the device shows. Pure: no I/O.

Python's ``datetime`` spans years 1..9999; arithmetic near either end (``+ timedelta``,
``astimezone()`` of ``0001-01-01T00:00+14:00``) raises ``OverflowError``, which used to
crash screens and parsers. Every time that reaches a plan, a message or an appointment is
therefore an aware datetime in years :data:`MIN_YEAR`..:data:`MAX_YEAR`: far enough from
the ends that adding a day, a plan's length or a UTC offset cannot overflow.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from therapy.errors import PlanError

MIN_YEAR = 2000  # before any device of this project existed
MAX_YEAR = 2100  # a plan, message or appointment further out is a typo or an attack
MAX_TIME_TEXT = 40  # "2026-01-05T00:00:00.000000+01:00" is 32


def is_sane(t: Any) -> bool:
    """True for an aware datetime within MIN_YEAR..MAX_YEAR (in its own offset)."""
    return (isinstance(t, datetime) and t.tzinfo is not None and t.utcoffset() is not None
            and MIN_YEAR <= t.year <= MAX_YEAR)


def check_time(t: datetime, field: str = "") -> datetime:
    """``t`` in UTC, or PlanError naming ``field`` when it is naive or out of range."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise PlanError("needs a time zone (e.g. 2026-01-05T00:00:00Z)", field)
    if not MIN_YEAR <= t.year <= MAX_YEAR:
        raise PlanError(f"must be in the years {MIN_YEAR}..{MAX_YEAR}, got {t.isoformat()}",
                        field)
    return t.astimezone(timezone.utc)  # cannot overflow: at most a day from the range


def parse_time(value: Any, field: str = "") -> datetime:
    """An ISO 8601 text with a time zone in years MIN_YEAR..MAX_YEAR, as an aware UTC
    datetime; anything else is a PlanError naming ``field``."""
    if not isinstance(value, str) or len(value) > MAX_TIME_TEXT:
        raise PlanError("must be an ISO 8601 time with a time zone", field)
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise PlanError(f"must be an ISO 8601 time with a time zone, got {value!r}",
                        field) from None
    return check_time(t, field)
