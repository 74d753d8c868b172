"""Read-only history queries the kiosk needs and the store does not offer (sessions per
day, ROM per session, pain pairs, last questionnaire). A second SQLite connection on the
store's file (WAL allows readers beside the writer); it never writes."""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: str
    exercise_id: str
    started_at: datetime
    rep_count: int
    sets_done: int
    completed: bool
    target_rom_deg: float
    mean_rom_deg: float | None
    pain_before: int | None
    pain_after: int | None


class History:
    def __init__(self, db_path: str | Path) -> None:
        self._db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True,
                                   check_same_thread=False, timeout=10.0)
        self._lock = threading.Lock()

    def _q(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def close(self) -> None:
        self._db.close()

    def sessions(self, since: datetime | None = None,
                 exercise_id: str | None = None) -> list[SessionRow]:
        """Sessions oldest first, each with its mean ROM and pain before/after."""
        sql = ("SELECT s.id, s.exercise_id, s.started_at, s.rep_count, s.sets_done, "
               "s.completed, s.data, (SELECT AVG(rom_deg) FROM reps r WHERE r.session_id = s.id), "
               "(SELECT rating FROM pain_reports p WHERE p.session_id = s.id "
               " AND p.phase = 'before'), "
               "(SELECT rating FROM pain_reports p WHERE p.session_id = s.id "
               " AND p.phase = 'after') FROM sessions s WHERE 1=1")
        params: list[Any] = []
        if since is not None:
            sql += " AND s.started_at >= ?"
            params.append(since.isoformat())
        if exercise_id is not None:
            sql += " AND s.exercise_id = ?"
            params.append(exercise_id)
        rows = self._q(sql + " ORDER BY s.started_at", tuple(params))
        return [SessionRow(r[0], r[1], datetime.fromisoformat(r[2]), r[3], r[4], bool(r[5]),
                           float(json.loads(r[6]).get("target_rom_deg", 0.0)), r[7], r[8], r[9])
                for r in rows]

    def last_questionnaire(self, questionnaire: str) -> tuple[datetime, dict[str, Any]] | None:
        rows = self._q("SELECT at, answers FROM questionnaires WHERE questionnaire = ? "
                       "ORDER BY at DESC LIMIT 1", (questionnaire,))
        if not rows:
            return None
        return datetime.fromisoformat(rows[0][0]), {k: v for k, v in json.loads(rows[0][1])}
