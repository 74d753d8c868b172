"""The clinic's SQLite: every record received, deduplicated by FHIR identifier.

Separate from the device store; written by ``rehab clinic watch``, read by ``rehab clinic
report``. WAL + synchronous=FULL, versioned schema like the device store.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mqtt.errors import LinkError
from therapy.fhir import CODES, PAIN_CODE, ROM_CODE, resource_identifier
from therapy.private_files import DataDirError, private_dir, private_file

CLINIC_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE resources (
        identifier TEXT PRIMARY KEY, device TEXT NOT NULL, resource_type TEXT NOT NULL,
        received_at TEXT NOT NULL, body TEXT NOT NULL);
    CREATE TABLE sessions (
        identifier TEXT PRIMARY KEY, device TEXT NOT NULL, exercise TEXT NOT NULL,
        started_at TEXT NOT NULL, ended_at TEXT NOT NULL, reps INTEGER NOT NULL,
        target_reps INTEGER, sets_done INTEGER, mean_rom_deg REAL, rom_list TEXT NOT NULL,
        completed INTEGER NOT NULL);
    CREATE INDEX sessions_device ON sessions(device, started_at);
    CREATE TABLE pain (
        identifier TEXT PRIMARY KEY, device TEXT NOT NULL, session TEXT, phase TEXT,
        rating INTEGER NOT NULL, at TEXT NOT NULL);
    CREATE TABLE messages (
        id TEXT PRIMARY KEY, device TEXT NOT NULL, direction TEXT NOT NULL, text TEXT NOT NULL,
        at TEXT NOT NULL, acked_at TEXT);
    CREATE TABLE devices (
        device TEXT PRIMARY KEY, state TEXT NOT NULL, last_seen TEXT NOT NULL);
    CREATE TABLE plans (
        device TEXT NOT NULL, version INTEGER NOT NULL, plan_text TEXT NOT NULL,
        pushed_at TEXT NOT NULL, PRIMARY KEY (device, version));
    CREATE TABLE appointments (
        id TEXT PRIMARY KEY, device TEXT NOT NULL, start_at TEXT NOT NULL,
        minutes INTEGER NOT NULL, started_at TEXT, session TEXT)
    """,
)


@dataclass(frozen=True, slots=True)
class SessionRow:
    identifier: str
    device: str
    exercise: str
    started_at: datetime
    ended_at: datetime
    reps: int
    target_reps: int | None
    mean_rom_deg: float | None
    rom_deg: tuple[float, ...]
    completed: bool


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class ClinicStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:  # every patient's data: 0700 folder, 0600 files (-wal/-shm follow the file)
            private_dir(self.path.parent)
            private_file(self.path)
        except DataDirError as exc:
            raise LinkError(str(exc)) from exc
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None,
                                       check_same_thread=False, timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._migrate()
        except sqlite3.Error as exc:
            raise LinkError(f"cannot open clinic store {self.path}: {exc}") from exc

    def _migrate(self) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
            row = self._db.execute("SELECT version FROM schema_version").fetchone()
            version = row[0] if row else 0
            for i in range(version, len(CLINIC_MIGRATIONS)):
                for stmt in CLINIC_MIGRATIONS[i].split(";"):
                    if stmt.strip():
                        self._db.execute(stmt)
            self._db.execute("DELETE FROM schema_version")
            self._db.execute("INSERT INTO schema_version VALUES (?)", (len(CLINIC_MIGRATIONS),))
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _exec(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, params)

    def _many(self, stmts: list[tuple[str, tuple[Any, ...]]]) -> int:
        """Run statements in one transaction; returns the first statement's rowcount."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                first = -1
                for sql, params in stmts:
                    cur = self._db.execute(sql, params)
                    first = cur.rowcount if first < 0 else first
                self._db.execute("COMMIT")
                return first
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    # --- records -----------------------------------------------------------------
    def add_resource(self, device: str, resource: dict[str, Any]) -> bool:
        """Store a FHIR resource once; False when its identifier was already held."""
        ident = resource_identifier(resource)
        rtype = str(resource.get("resourceType", "?"))
        if ident is None:
            raise LinkError(f"{rtype} from {device} has no identifier")
        stmts: list[tuple[str, tuple[Any, ...]]] = [(
            "INSERT OR IGNORE INTO resources VALUES (?,?,?,?,?)",
            (ident, device, rtype, _now(), json.dumps(resource)))]
        if rtype == "Bundle":
            stmts.append(_session_stmt(ident, device, resource))
        elif rtype == "Observation" and _has_code(resource, PAIN_CODE["code"]):
            stmts.append(_pain_stmt(ident, device, resource))
        return self._many(stmts) == 1

    def identifiers(self) -> set[str]:
        return {r[0] for r in self._exec("SELECT identifier FROM resources").fetchall()}

    def resources(self, rtype: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT body FROM resources" + (" WHERE resource_type = ?" if rtype else "")
        return [json.loads(r[0]) for r in self._exec(sql, (rtype,) if rtype else ())]

    def sessions(self, device: str) -> list[SessionRow]:
        rows = self._exec("SELECT identifier, device, exercise, started_at, ended_at, reps, "
                          "target_reps, mean_rom_deg, rom_list, completed FROM sessions "
                          "WHERE device = ? ORDER BY started_at", (device,)).fetchall()
        return [SessionRow(r[0], r[1], r[2], datetime.fromisoformat(r[3]),
                           datetime.fromisoformat(r[4]), r[5], r[6], r[7],
                           tuple(json.loads(r[8])), bool(r[9])) for r in rows]

    def pain(self, device: str) -> list[tuple[str | None, str, int, datetime]]:
        rows = self._exec("SELECT session, phase, rating, at FROM pain WHERE device = ? "
                          "ORDER BY at", (device,)).fetchall()
        return [(r[0], r[1], r[2], datetime.fromisoformat(r[3])) for r in rows]

    # --- devices, messages, plans, appointments ----------------------------------------
    def set_device_state(self, device: str, state: str) -> None:
        self._exec("INSERT INTO devices VALUES (?,?,?) ON CONFLICT(device) DO UPDATE SET "
                   "state = excluded.state, last_seen = excluded.last_seen",
                   (device, state, _now()))

    def devices(self) -> dict[str, str]:
        return dict(self._exec("SELECT device, state FROM devices").fetchall())

    def add_message(self, device: str, ident: str, direction: str, text: str, at: str) -> bool:
        cur = self._exec("INSERT OR IGNORE INTO messages VALUES (?,?,?,?,?,NULL)",
                         (ident, device, direction, text, at))
        return cur.rowcount == 1

    def ack_message(self, ident: str) -> None:
        self._exec("UPDATE messages SET acked_at = ? WHERE id = ? AND acked_at IS NULL",
                   (_now(), ident))

    def messages(self, device: str) -> list[tuple[str, str, str, str | None]]:
        return [tuple(r) for r in self._exec(  # type: ignore[misc]
            "SELECT id, direction, text, acked_at FROM messages WHERE device = ? ORDER BY at",
            (device,)).fetchall()]

    def add_plan(self, device: str, version: int, text: str) -> None:
        self._exec("INSERT OR REPLACE INTO plans VALUES (?,?,?,?)",
                   (device, version, text, _now()))

    def latest_plan(self, device: str) -> str | None:
        row = self._exec("SELECT plan_text FROM plans WHERE device = ? ORDER BY version DESC "
                         "LIMIT 1", (device,)).fetchone()
        return row[0] if row else None

    def add_appointment(self, ident: str, device: str, start_at: str, minutes: int) -> None:
        self._exec("INSERT OR REPLACE INTO appointments VALUES (?,?,?,?,NULL,NULL)",
                   (ident, device, start_at, minutes))

    def appointment_started(self, ident: str, at: str, session: str | None) -> None:
        self._exec("UPDATE appointments SET started_at = ?, session = ? WHERE id = ?",
                   (at, session, ident))

    def appointments(self, device: str) -> list[tuple[str, str, int, str | None]]:
        return [tuple(r) for r in self._exec(  # type: ignore[misc]
            "SELECT id, start_at, minutes, started_at FROM appointments WHERE device = ?",
            (device,)).fetchall()]


def _has_code(obs: dict[str, Any], code: str) -> bool:
    return any(c.get("code") == code for c in obs.get("code", {}).get("coding", []))


def _component(obs: dict[str, Any], code: str) -> Any:
    for comp in obs.get("component", []):
        if any(c.get("system") == CODES and c.get("code") == code
               for c in comp.get("code", {}).get("coding", [])):
            for key, value in comp.items():
                if key.startswith("value"):
                    return value.get("value") if isinstance(value, dict) else value
    return None


def _session_stmt(ident: str, device: str, bundle: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    resources = [e.get("resource", {}) for e in bundle.get("entry", [])]
    summary = resources[0] if resources else {}
    period = summary.get("effectivePeriod", {})
    roms = [r["valueQuantity"]["value"] for r in resources[1:]
            if _has_code(r, ROM_CODE["code"]) and "valueQuantity" in r]
    exercise = (summary.get("method", {}).get("coding") or [{}])[0].get("code", "?")
    return ("INSERT OR IGNORE INTO sessions VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (ident, device, exercise, period.get("start", ""), period.get("end", ""),
             int(_component(summary, "reps-completed") or 0),
             _component(summary, "reps-target"), _component(summary, "sets-completed"),
             summary.get("valueQuantity", {}).get("value"), json.dumps(roms),
             int(bool(_component(summary, "session-completed")))))


def _pain_stmt(ident: str, device: str, obs: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    session = next((i["value"] for i in obs.get("identifier", [])[1:]), None)
    phase = next((c["code"] for cat in obs.get("category", []) for c in cat.get("coding", [])
                  if str(c.get("code", "")).startswith("pain-")), "pain-?")[5:]
    return ("INSERT OR IGNORE INTO pain VALUES (?,?,?,?,?,?)",
            (ident, device, session, phase, int(obs.get("valueInteger", -1)),
             obs.get("effectiveDateTime", "")))
