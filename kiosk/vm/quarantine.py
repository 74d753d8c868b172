"""Stored rows a screen cannot show: skipped, logged once, counted.

An older version stored what it should have refused (an appointment at 9999-12-31 or
0001-01-01, a message dated year 1 at +14:00). Date arithmetic on such a row raises
``OverflowError``, and since the row stays stored, the screen crashed on every start. The
view-models now pass each row through :func:`therapy.dates.is_sane` first: a row that
fails is quarantined here (one log line per row, a count per kind) and the rest shows.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar


class _Row(Protocol):
    @property
    def id(self) -> str: ...


R = TypeVar("R", bound=_Row)

log = logging.getLogger(__name__)


class Quarantine:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._seen: set[tuple[str, str]] = set()

    def skip(self, kind: str, ident: str, why: str) -> None:
        """Record that row ``ident`` of ``kind`` cannot be shown (logged the first time)."""
        if (kind, ident) in self._seen:
            return
        self._seen.add((kind, ident))
        self.counts[kind] += 1
        log.warning("stored %s %.64s cannot be shown and is skipped: %s", kind, ident, why)

    def keep(self, kind: str, rows: Iterable[R], ok: Callable[[R], bool],
             why: Callable[[R], str]) -> list[R]:
        """The rows that pass ``ok``; each other one is skipped (``why`` says what is wrong)."""
        out = []
        for row in rows:
            if ok(row):
                out.append(row)
            else:
                self.skip(kind, row.id, why(row))
        return out

    @property
    def total(self) -> int:
        return sum(self.counts.values())


QUARANTINE = Quarantine()  # the kiosk's: shared by its view-models
