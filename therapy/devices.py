"""Paired wearables and their outages, in the device store (schema 2, therapy.migrations).

``rehab pair`` and the kiosk's Settings screen remember wearables here; a live set's
wearable gaps (:class:`sensors.set_supervision.SetGap`) are saved with its session id and
set number. Uses the store's connection and lock, so it shares its transactions' rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from therapy.store import INSERT_GAP, TherapyStore


class PairedWearable(Protocol):
    address: str
    name: str
    kind: str
    segment: str


class GapLike(Protocol):
    sensor_id: str
    segment: str
    start_s: float
    end_s: float | None
    reason: str


class WearableRegistry:
    """Remembered wearables: ``remember``, ``forget``, ``all`` (rows), ``save_gaps``."""

    def __init__(self, store: TherapyStore) -> None:
        self.store = store

    def remember(self, w: PairedWearable, battery_pct: int | None = None,
                 at: datetime | None = None) -> None:
        """Add or update a wearable; one body placement holds one wearable at a time."""
        when = (at or datetime.now().astimezone()).isoformat()
        self.store._tx([
            ("DELETE FROM wearables WHERE segment = ? AND address != ?",
             (str(w.segment), w.address)),
            (("INSERT INTO wearables (address, name, kind, segment, paired_at, battery_pct) "
             "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(address) DO UPDATE SET name=excluded.name, "
             "kind=excluded.kind, segment=excluded.segment, paired_at=excluded.paired_at, "
             "battery_pct=excluded.battery_pct"),
             (w.address, w.name, str(w.kind), str(w.segment), when, battery_pct)),
        ])

    def forget(self, address: str) -> None:
        self.store._tx([("DELETE FROM wearables WHERE address = ?", (address,))])

    def all(self) -> list[tuple[str, str, str, str, str, int | None]]:
        """(address, name, kind, segment, paired_at, battery_pct) by segment."""
        return [tuple(r) for r in self.store._query(  # type: ignore[misc]
            "SELECT address, name, kind, segment, paired_at, battery_pct FROM wearables "
            "ORDER BY segment")]

    def save_gaps(self, session_id: str, set_no: int, gaps: Sequence[GapLike]) -> None:
        self.store._tx([
            (INSERT_GAP,
             (session_id, set_no, g.sensor_id, g.segment, g.start_s, g.end_s, g.reason))
            for g in gaps])

    def gaps(self, session_id: str) -> list[tuple[int, str, str, float, float | None, str]]:
        return [tuple(r) for r in self.store._query(  # type: ignore[misc]
            "SELECT set_no, sensor_id, segment, start_s, end_s, reason FROM wearable_gaps "
            "WHERE session_id = ? ORDER BY set_no, start_s", (session_id,))]
