"""The device's SQLite store: plans, sessions, reps, pain, feedback, messages, the outbox.

One file (``<data-dir>/rehab.db``), WAL journal with ``synchronous=FULL`` so a committed
transaction survives power loss. The schema is versioned (``schema_version``) and brought
up to date by :data:`therapy.migrations.MIGRATIONS` on open. Every record that must reach
the clinic is written with its outbox rows in ONE transaction (``save_*`` methods take the
outbox items). The outbox is read oldest first and a row is deleted only by
:meth:`TherapyStore.outbox_delete`, which the link calls after a successful PUBACK.

Safe to share between threads (the paho network thread and asyncio): one connection
behind a lock.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from therapy.audit import Actor, AuditKind, AuditOutcome, AuditRecord
from therapy.errors import StorageError
from therapy.migrations import MIGRATIONS
from therapy.outbox import Channel, OutboxItem, OutboxRow
from therapy.plan import Plan, parse_plan_bytes
from therapy.private_files import private_dir, private_file, tighten
from therapy.records import (Appointment, Direction, Feedback, Message, PainReport,
                             QuestionnaireAnswers, SessionRecord)
from therapy.store_faults import folder_fault, storage_fault

log = logging.getLogger(__name__)
SCHEMA_VERSION = len(MIGRATIONS)


def _t(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


# A wearable outage of a session's set (the live set's end saves them: therapy.devices;
# a recovered draft's with its session: save_session)
INSERT_GAP = ("INSERT INTO wearable_gaps (session_id, set_no, sensor_id, segment, start_s, "
              "end_s, reason) VALUES (?, ?, ?, ?, ?, ?, ?)")


class TherapyStore:
    """The device store. ``TherapyStore(path)`` opens (creating and migrating) the file."""

    def __init__(self, path: str | Path, max_bytes: int | None = None) -> None:
        """Open ``path``; ``max_bytes`` caps the file (SQLite ``max_page_count``), a quota
        that keeps the card from filling up: past it a save raises StorageFull."""
        self.path = Path(path)
        self._lock = threading.RLock()
        self.quarantined_plans: set[int] = set()  # stored plans this version refuses
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise folder_fault(exc, self.path.parent) from exc
        private_dir(self.path.parent)  # 0700 folder, 0600 files, whatever the umask;
        private_file(self.path)  # SQLite gives -wal/-shm the database file's mode
        for leftover in ("-wal", "-shm"):
            tighten(self.path.with_name(self.path.name + leftover))
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None,
                                       check_same_thread=False, timeout=30.0)
        except sqlite3.Error as exc:
            raise self._fault(exc, "cannot open store") from exc
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
            if max_bytes is not None:
                self.limit_size(max_bytes)
        except BaseException as exc:
            self._db.close()
            if isinstance(exc, sqlite3.Error):
                raise self._fault(exc, "cannot open store") from exc
            raise

    def limit_size(self, max_bytes: int) -> int:
        """Cap the file at ``max_bytes`` (never below its current size); returns the cap in
        bytes. Past it a save raises StorageFull, as on a full disk."""
        with self._lock:
            page = int(self._query("PRAGMA page_size")[0][0])
            pages = int(self._query(f"PRAGMA max_page_count = {max(1, int(max_bytes) // page)}")
                        [0][0])
            return pages * page

    # --- plumbing -------------------------------------------------------------------
    def _fault(self, exc: sqlite3.Error, doing: str) -> StorageError:
        """The StorageError for ``exc`` (a generic one naming ``doing`` when SQLite's code
        says nothing about the storage, e.g. on open)."""
        return storage_fault(exc, self.path) or StorageError(
            f"{doing} {self.path}: {exc}", self.path)

    def _rollback(self) -> None:
        """Roll back if a transaction is still open: SQLite has already rolled back by
        itself after SQLITE_FULL, and a failing ROLLBACK must not hide the first error."""
        try:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
        except sqlite3.Error:
            log.exception("rollback of %s failed after an earlier error", self.path)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` .. ``COMMIT`` under the lock; on any error roll back and
        raise the original, as a StorageError subclass when the storage is at fault."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except BaseException as exc:
                self._rollback()
                fault = storage_fault(exc, self.path) if isinstance(exc, sqlite3.Error) \
                    else None
                if fault is not None:
                    raise fault from exc
                raise

    def _migrate(self) -> None:
        with self._transaction() as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
            row = db.execute("SELECT version FROM schema_version").fetchone()
            version = row[0] if row else 0
            if version > SCHEMA_VERSION:
                raise StorageError(f"{self.path} has schema {version}, newer than this "
                                   f"program's {SCHEMA_VERSION}: upgrade rehab-kiosk", self.path)
            for i in range(version, SCHEMA_VERSION):
                log.info("migrating %s to schema %d", self.path, i + 1)
                for stmt in MIGRATIONS[i].split(";"):
                    if stmt.strip():
                        db.execute(stmt)
            if row is None:
                db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
            else:
                db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))

    def _tx(self, statements: Iterable[tuple[str, Sequence[Any]]],
            outbox: Sequence[OutboxItem] = ()) -> None:
        now = datetime.now().astimezone().isoformat()
        with self._transaction() as db:
            for sql, params in statements:
                db.execute(sql, params)
            db.executemany(
                "INSERT INTO outbox (channel, record_id, payload, created_at) "
                "VALUES (?, ?, ?, ?)",
                [(str(o.channel), o.record_id, o.payload, now) for o in outbox])

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                fault = storage_fault(exc, self.path)
                if fault is not None:
                    raise fault from exc
                raise

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def schema_version(self) -> int:
        return int(self._query("SELECT version FROM schema_version")[0][0])

    def integrity_check(self) -> str:
        return str(self._query("PRAGMA integrity_check")[0][0])

    # --- records (each with its outbox rows, one transaction) -------------------------
    def save_session(self, rec: SessionRecord, outbox: Sequence[OutboxItem] = (),
                     gaps: Sequence[Sequence[Any]] = ()) -> None:
        """The session, its reps and its pain reports, plus the outbox rows, atomically; its
        draft (the running session's journal) is removed in the same transaction. ``gaps``
        (set_no, sensor_id, segment, start_s, end_s, reason: a recovered draft's wearable
        outages, of sets whose end did not save them) go to ``wearable_gaps`` with it."""
        data = {"target_sets": rec.target_sets, "target_reps": rec.target_reps,
                "target_rom_deg": rec.target_rom_deg, "target_hold_s": rec.target_hold_s,
                "joint": rec.joint}
        stmts: list[tuple[str, Sequence[Any]]] = [(
            "INSERT INTO sessions VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (rec.id, rec.exercise_id, rec.side, _t(rec.started_at), _t(rec.ended_at),
             rec.rep_count, rec.sets_done, int(rec.completed), rec.plan_version,
             rec.appointment_id, json.dumps(data)))]
        stmts += [("INSERT INTO reps VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                   (rec.id, r.set_no, r.n, r.rom_deg, r.hold_s, r.up_s, r.down_s,
                    r.t_start_s, r.t_end_s, ",".join(r.flags), r.source)) for r in rec.reps]
        stmts += [self._pain_stmt(p) for p in rec.pains]
        stmts += [(INSERT_GAP, (rec.id, *g)) for g in gaps]
        # its journal (therapy/drafts.py) goes in the same transaction: stored once, either
        # as the session or, after a crash, as the draft the next start stores
        drop = self.draft_drop(rec.id)
        if not self._save_once("sessions", rec.id, stmts + drop, outbox):
            self._tx(drop)

    @staticmethod
    def draft_drop(session_id: str) -> list[tuple[str, Sequence[Any]]]:
        """What removes a session's draft (its journal: therapy/drafts.py)."""
        return [("DELETE FROM draft_reps WHERE session_id = ?", (session_id,)),
                ("DELETE FROM draft_gaps WHERE session_id = ?", (session_id,)),
                ("DELETE FROM session_drafts WHERE session_id = ?", (session_id,))]

    def _save_once(self, table: str, record_id: str,
                   stmts: Sequence[tuple[str, Sequence[Any]]],
                   outbox: Sequence[OutboxItem]) -> bool:
        """Write a record unless one with its id is stored (a retry after an error that
        came after COMMIT is then harmless); True when it was written."""
        with self._lock:
            if self._query(f"SELECT 1 FROM {table} WHERE id = ?", (record_id,)):
                log.info("%s %s is already stored; not stored twice", table, record_id)
                return False
            self._tx(stmts, outbox)
            return True

    @staticmethod
    def _pain_stmt(p: PainReport) -> tuple[str, Sequence[Any]]:
        return ("INSERT INTO pain_reports VALUES (?,?,?,?,?,?)",
                (p.id, p.session_id, str(p.phase), p.rating, p.note, _t(p.at)))

    def save_pain(self, p: PainReport, outbox: Sequence[OutboxItem] = ()) -> None:
        self._save_once("pain_reports", p.id, [self._pain_stmt(p)], outbox)

    def save_feedback(self, f: Feedback, outbox: Sequence[OutboxItem] = ()) -> None:
        self._tx([("INSERT INTO feedback VALUES (?,?,?,?,?)",
                   (f.id, f.session_id, f.rating, f.text, _t(f.at)))], outbox)

    def save_questionnaire(self, q: QuestionnaireAnswers,
                           outbox: Sequence[OutboxItem] = ()) -> None:
        self._tx([("INSERT INTO questionnaires VALUES (?,?,?,?)",
                   (q.id, q.questionnaire, _t(q.at), json.dumps(list(q.answers))))], outbox)

    def save_message(self, m: Message, outbox: Sequence[OutboxItem] = ()) -> bool:
        """Store a message once (a resent one is ignored); True when it was new."""
        with self._lock:
            if self._query("SELECT 1 FROM messages WHERE id = ?", (m.id,)):
                return False
            self._tx([("INSERT INTO messages VALUES (?,?,?,?,?)",
                       (m.id, str(m.direction), m.text, _t(m.at), _t(m.acked_at)))], outbox)
            return True

    def ack_message(self, message_id: str, at: datetime) -> None:
        self._tx([("UPDATE messages SET acked_at = ? WHERE id = ? AND acked_at IS NULL",
                   (_t(at), message_id))])

    def messages(self) -> list[Message]:
        rows = self._query("SELECT id, direction, text, at, acked_at FROM messages ORDER BY at")
        return [Message(r[0], Direction(r[1]), r[2], datetime.fromisoformat(r[3]),
                        datetime.fromisoformat(r[4]) if r[4] else None) for r in rows]

    def save_appointment(self, a: Appointment) -> None:
        self._tx([("INSERT INTO appointments (id, start_at, minutes) VALUES (?,?,?) "
                   "ON CONFLICT(id) DO UPDATE SET start_at = excluded.start_at, "
                   "minutes = excluded.minutes", (a.id, _t(a.start_at), a.minutes))])

    def cancel_appointment(self, appointment_id: str,
                           outbox: Sequence[OutboxItem] = ()) -> None:
        """The clinic cancelled it: removed (with its outbox rows, one transaction)."""
        self._tx([("DELETE FROM appointments WHERE id = ?", (appointment_id,))], outbox)

    def start_appointment(self, appointment_id: str, at: datetime,
                          outbox: Sequence[OutboxItem] = ()) -> None:
        self._tx([("UPDATE appointments SET started_at = ? WHERE id = ?",
                   (_t(at), appointment_id))], outbox)

    def appointments(self) -> list[Appointment]:
        rows = self._query("SELECT id, start_at, minutes, started_at FROM appointments "
                           "ORDER BY start_at")
        return [Appointment(r[0], datetime.fromisoformat(r[1]), r[2],
                            datetime.fromisoformat(r[3]) if r[3] else None) for r in rows]

    def session_ids(self) -> list[str]:
        return [r[0] for r in self._query("SELECT id FROM sessions ORDER BY started_at")]

    def record_ids(self) -> set[str]:
        """Ids of every committed record that is sent to the clinic."""
        rows = self._query("SELECT id FROM sessions UNION ALL SELECT id FROM pain_reports "
                           "UNION ALL SELECT id FROM questionnaires")
        return {r[0] for r in rows}

    # --- plans ---------------------------------------------------------------------
    def save_plan(self, plan: Plan, text: str, received_at: datetime) -> None:
        self._tx([("INSERT OR REPLACE INTO plans VALUES (?,?,?,?,?,?)",
                   (plan.version, plan.plan_id, text, _t(plan.valid_from),
                    _t(plan.valid_until), _t(received_at)))])

    def current_plan(self) -> tuple[Plan, str] | None:
        """The newest stored plan that this version accepts, and its signed text, or None.

        A row an older version stored but this one refuses (year 9999, version 2**31 - 1)
        is skipped, logged once (quarantined), so it neither crashes a screen nor blocks
        the next plan."""
        from therapy.errors import PlanError

        for version, text in self._query("SELECT version, plan_text FROM plans "
                                         "ORDER BY version DESC"):
            try:
                return parse_plan_bytes(text), text
            except PlanError as exc:
                if version not in self.quarantined_plans:
                    self.quarantined_plans.add(version)
                    log.warning("stored plan version %s skipped (quarantined): %s", version,
                                exc)
        return None

    def plan_in_force(self, when: datetime) -> tuple[Plan, str] | None:
        """The newest stored plan valid at ``when`` (a plan the clinic sent for next week
        does not hide this week's), else the newest one (ended or not started yet: the
        kiosk says so), else None. Refused rows are skipped as in :meth:`current_plan`."""
        from therapy.errors import PlanError

        newest = self.current_plan()
        if newest is None or newest[0].is_valid_at(when):
            return newest
        for version, text in self._query("SELECT version, plan_text FROM plans "
                                         "WHERE version < ? ORDER BY version DESC",
                                         (newest[0].version,)):
            if version in self.quarantined_plans:
                continue
            try:
                plan = parse_plan_bytes(text)
            except PlanError:  # refused as in current_plan: skip it
                continue
            if plan.is_valid_at(when):
                return plan, text
        return newest

    # --- outbox --------------------------------------------------------------------
    def enqueue(self, outbox: Sequence[OutboxItem]) -> None:
        self._tx([], outbox)

    def outbox_batch(self, after_id: int = 0, limit: int = 100) -> list[OutboxRow]:
        """Rows to send, oldest first; rows the clinic refused are not among them."""
        rows = self._query("SELECT id, channel, record_id, payload FROM outbox WHERE id > ? "
                           "AND refused_code IS NULL ORDER BY id LIMIT ?", (after_id, limit))
        return [OutboxRow(r[0], Channel(r[1]), r[2], bytes(r[3])) for r in rows]

    def outbox_delete(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        with self._transaction() as db:
            db.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])

    def outbox_count(self) -> int:
        """Rows waiting for the clinic's receipt (not those it refused)."""
        return int(self._query("SELECT COUNT(*) FROM outbox WHERE refused_code IS NULL")[0][0])

    # refusals: therapy/outbox_refusals.py (the clinic refused a record for good)

    # --- security audit (therapy/audit.py) -------------------------------------------
    def save_audit(self, rec: AuditRecord, outbox: Sequence[OutboxItem] = ()) -> None:
        """An audit record and its AuditEvent outbox row, in one transaction."""
        self._tx([("INSERT INTO audit (id, at, kind, outcome, actor, detail) "
                   "VALUES (?,?,?,?,?,?)", (rec.id, _t(rec.at), str(rec.kind),
                                            str(rec.outcome), str(rec.actor), rec.detail))],
                 outbox)

    def audit_records(self, limit: int = 100) -> list[AuditRecord]:
        """The newest ``limit`` audit records, oldest first."""
        rows = self._query("SELECT id, at, kind, outcome, actor, detail FROM audit "
                           "ORDER BY seq DESC LIMIT ?", (limit,))
        return [AuditRecord(r[0], datetime.fromisoformat(r[1]), AuditKind(r[2]),
                            AuditOutcome(r[3]), Actor(r[4]), r[5]) for r in reversed(rows)]

    def audit_failure_run(self, failed: AuditKind,
                          resets: Sequence[AuditKind]) -> tuple[int, datetime | None]:
        """How many ``failed`` records follow the last of ``resets`` (a lockout counter
        kept across restarts), and when the last of them happened."""
        marks = ",".join("?" * len(resets)) or "''"
        rows = self._query(
            f"SELECT COUNT(*), (SELECT at FROM audit WHERE kind = ? ORDER BY seq DESC LIMIT 1)"
            f" FROM audit WHERE kind = ? AND seq > "
            f"(SELECT IFNULL(MAX(seq), 0) FROM audit WHERE kind IN ({marks}))",
            (str(failed), str(failed), *[str(k) for k in resets]))
        count, last = rows[0]
        return int(count), datetime.fromisoformat(last) if last else None

    def audit_has(self, kind: AuditKind) -> bool:
        return bool(self._query("SELECT 1 FROM audit WHERE kind = ? LIMIT 1", (str(kind),)))
