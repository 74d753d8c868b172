"""The clinic store: every record received, deduplicated by FHIR identifier.

SQLAlchemy 2 Core on one of two databases:

- SQLite (default, embedded): ``clinic.db`` in the data dir; WAL + synchronous=FULL (a
  committed record survives power loss), 0700 folder and 0600 files; every write is one
  ``BEGIN IMMEDIATE`` transaction, so several processes can write the same file.
- PostgreSQL (``--db postgresql://user@host/db``, psycopg 3): the shared store of several
  ``rehab clinic serve`` processes. Deduplication is ``INSERT ... ON CONFLICT DO NOTHING``
  on the identifier, so two processes storing the same record store it once.

Tables: :mod:`clinic.schema`; schema versions: :mod:`clinic.migrations` (run on open; a
database newer than this program is refused). Written by ingest (``watch``/``serve``),
read by ``report`` and the web application.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import (Connection, Engine, Table, TextClause, create_engine, event, func,
                        select, text, update)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from clinic import schema as t
from clinic.bulk_insert import BulkInsert
from clinic.errors import StoreError
from clinic.migrations import migrate
from clinic.rows import Prepared, _now, _opt_text, _pain_row, _session_row, _text, prepare
from clinic.status_schema import wearable_batteries
from therapy.private_files import DataDirError, private_dir, private_file

# the row builders are re-exported for bench/clinic_pages.py (bulk fills)
__all__ = ["ClinicStore", "Prepared", "SessionRow", "_pain_row", "_session_row",
           "database_url", "open_store", "prepare"]

DB_FILE = "clinic.db"
SQLITE_BUSY_TIMEOUT_S = 30.0
_IMMEDIATE = "rehab_begin_immediate"  # execution option: SQLite write transaction


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
    gaps: tuple[dict[str, Any], ...] = ()  # wearable drop-outs (clinic/session_gaps.py)


def database_url(db: str | None, data_dir: str | Path) -> str:
    """The SQLAlchemy URL for ``--db`` (None: ``clinic.db`` in ``data_dir``).

    ``postgresql://...`` and ``postgres://...`` use psycopg 3; ``sqlite:///PATH`` a file.
    """
    if not db:
        return f"sqlite:///{Path(data_dir) / DB_FILE}"
    for prefix in ("postgresql://", "postgres://"):
        if db.startswith(prefix):
            return "postgresql+psycopg://" + db[len(prefix):]
    if db.startswith(("postgresql+psycopg://", "sqlite:///")):
        return db
    raise StoreError(f"--db {_redact(db)!r}: use postgresql://user[:password]@host[:port]/"
                     "database or sqlite:///path (default: clinic.db in the data dir)")


def _redact(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("@")[-1]


def _sqlite_engine(path: Path) -> Engine:
    try:  # every patient's data: 0700 folder, 0600 files (-wal/-shm follow the file)
        private_dir(path.parent)
        private_file(path)
    except DataDirError as exc:
        raise StoreError(str(exc)) from exc
    engine = create_engine(f"sqlite:///{path}", connect_args={
        "check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _rec: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy's begin event emits BEGIN itself
        dbapi_conn.execute("PRAGMA journal_mode=WAL")
        dbapi_conn.execute("PRAGMA synchronous=FULL")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # a write takes the lock first: no SQLITE_BUSY half-way through (pysqlite recipe)
        immediate = conn.get_execution_options().get(_IMMEDIATE)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One write transaction on ``engine`` (SQLite: BEGIN IMMEDIATE, the write lock taken
    first, waiting up to the busy timeout), committed on leaving. A transaction that reads
    before it writes needs it: begun deferred, its read pins a WAL snapshot, and a write
    another connection commits meanwhile makes its own write fail at once with "database is
    locked" (SQLITE_BUSY_SNAPSHOT: the busy timeout does not apply)."""
    with engine.connect() as conn:
        conn = conn.execution_options(**{_IMMEDIATE: True})
        with conn.begin():
            yield conn


def _insert(table: Table, tail: str) -> TextClause:
    """``INSERT INTO table (every column) VALUES (:every column) <tail>``."""
    cols = [c.name for c in table.columns]
    return text(f"INSERT INTO {table.name} ({', '.join(cols)}) "
                f"VALUES ({', '.join(':' + c for c in cols)}) {tail}")


class ClinicStore:
    """The clinic's records. ``ClinicStore(path)``: SQLite file; ``url=``: any database URL
    :func:`database_url` makes (PostgreSQL for several processes on several machines)."""

    def __init__(self, path: str | Path | None = None, *, url: str | None = None) -> None:
        if url is None and path is None:
            raise StoreError("ClinicStore needs a SQLite path or a database URL")
        self.path: Path | None = None
        try:
            if url is None or url.startswith("sqlite:///"):
                self.path = Path(url[len("sqlite:///"):] if url else str(path))
                self.where = str(self.path)
                self.engine = _sqlite_engine(self.path)
            else:
                self.where = _redact(url)
                self.engine = create_engine(url, pool_pre_ping=True)
        except (ArgumentError, ImportError) as exc:
            raise StoreError(f"cannot use clinic store {_redact(url or '')}: {exc} (PostgreSQL "
                             "needs: pip install 'rehab-kiosk[clinic]')") from exc
        self.dialect = self.engine.dialect.name
        # Plain SQL both SQLite (>= 3.35) and PostgreSQL speak; text() is cached once
        # compiled (the dialects' insert().on_conflict_*() are not: recompiled every call,
        # half the cost of a record). RETURNING says whether the row was new (rowcount is
        # -1 for an INSERT on psycopg 3, sqlalchemy issue 10696).
        self._bulk = BulkInsert(self.engine.dialect.paramstyle)  # add_prepared's inserts
        self._ins_message = _insert(t.messages, "ON CONFLICT DO NOTHING RETURNING id")
        self._upsert_device = _insert(t.devices, "ON CONFLICT (device) DO UPDATE SET "
                                      "state = excluded.state, last_seen = excluded.last_seen")
        self._ins_event = text("INSERT INTO device_events (device, at, received_at, event, "
                               "body) VALUES (:device, :at, :received_at, :event, :body)")
        self._upsert_battery = _insert(  # the newest reading wins, whatever order they came
            wearable_batteries, "ON CONFLICT (device, segment) DO UPDATE SET battery_pct = "
            "excluded.battery_pct, at = excluded.at WHERE excluded.at >= wearable_batteries.at")
        self._upsert_plan = _insert(t.plans, "ON CONFLICT (device, version) DO UPDATE SET "
                                    "plan_text = excluded.plan_text, "
                                    "pushed_at = excluded.pushed_at")
        self._upsert_appointment = _insert(
            t.appointments, "ON CONFLICT (id) DO UPDATE SET device = excluded.device, "
            "start_at = excluded.start_at, minutes = excluded.minutes, started_at = NULL, "
            "session = NULL")
        try:
            with self._write() as conn:
                self.schema_version = migrate(conn, self.where)
        except StoreError:
            self.engine.dispose()
            raise
        except SQLAlchemyError as exc:
            self.engine.dispose()
            raise StoreError(f"cannot open clinic store {self.where}: {_reason(exc)}") from exc

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction (SQLite: BEGIN IMMEDIATE), committed on leaving."""
        with write_transaction(self.engine) as conn:
            yield conn

    def _read(self, stmt: Any, params: dict[str, Any] | None = None) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(stmt, params or {}).all())

    # --- records -----------------------------------------------------------------
    def add_resource(self, device: str, resource: dict[str, Any]) -> bool:
        """Store a FHIR resource once; False when its identifier was already held.

        The resource row and its session/pain row are one transaction.
        """
        return self.add_prepared([prepare(device, resource)])[0]

    def add_prepared(self, records: Sequence[Prepared]) -> list[bool]:
        """Store several records in ONE transaction (group commit); per record, whether it
        was new. All or nothing: on an error none is stored."""
        with self._write() as conn:
            return self._bulk.add(conn, records)

    def identifiers(self) -> set[str]:
        return {r[0] for r in self._read(select(t.resources.c.identifier))}

    def count_resources(self) -> int:
        return int(self._read(select(func.count()).select_from(t.resources))[0][0])

    def resources(self, rtype: str | None = None) -> list[dict[str, Any]]:
        stmt = select(t.resources.c.body)
        if rtype:
            stmt = stmt.where(t.resources.c.resource_type == rtype)
        return [json.loads(r[0]) for r in self._read(stmt)]

    def sessions(self, device: str) -> list[SessionRow]:
        s = t.sessions.c
        rows = self._read(select(s.identifier, s.device, s.exercise, s.started_at, s.ended_at,
                                 s.reps, s.target_reps, s.mean_rom_deg, s.rom_list, s.completed,
                                 s.gaps)
                          .where(s.device == device).order_by(s.started_at))
        return [SessionRow(r[0], r[1], r[2], datetime.fromisoformat(r[3]),
                           datetime.fromisoformat(r[4]), r[5], r[6], r[7],
                           tuple(json.loads(r[8])), bool(r[9]),
                           tuple(json.loads(r[10])) if r[10] else ()) for r in rows]

    def pain(self, device: str) -> list[tuple[str | None, str, int, datetime]]:
        p = t.pain.c
        rows = self._read(select(p.session, p.phase, p.rating, p.at)
                          .where(p.device == device).order_by(p.at))
        return [(r[0], r[1], r[2], datetime.fromisoformat(r[3])) for r in rows]

    # --- devices, messages, plans, appointments ----------------------------------------
    def set_device_state(self, device: str, state: str) -> None:
        with self._write() as conn:
            conn.execute(self._upsert_device,
                         {"device": device, "state": _text(state), "last_seen": _now()})

    def add_status_event(self, device: str, body: dict[str, Any]) -> None:
        """A status event (``{"event": ...}``, checked by mqtt.inbound.check_status): kept
        in ``device_events``; the device is online and seen now; a ``battery`` event also
        sets the wearable's level unless a newer reading is already held."""
        now = _now()
        at = _utc(body.get("at")) or now
        state = body.get("state") if body.get("state") in ("online", "offline") else "online"
        with self._write() as conn:
            conn.execute(self._upsert_device,
                         {"device": device, "state": state, "last_seen": now})
            conn.execute(self._ins_event, {
                "device": device, "at": at, "received_at": now,
                "event": _text(body.get("event", "")),
                "body": _text(json.dumps(body, separators=(",", ":")))})
            pct = body.get("battery_pct")
            if body.get("event") == "battery" and isinstance(pct, int):
                conn.execute(self._upsert_battery, {
                    "device": device, "segment": _text(body.get("segment", "")),
                    "battery_pct": max(0, min(100, pct)), "at": at})

    def batteries(self, device: str | None = None) -> dict[str, dict[str, tuple[int, str]]]:
        """The newest battery level per device and wearable: {device: {segment: (pct, at)}}."""
        b = wearable_batteries.c
        stmt = select(b.device, b.segment, b.battery_pct, b.at)
        if device is not None:
            stmt = stmt.where(b.device == device)
        out: dict[str, dict[str, tuple[int, str]]] = {}
        for d, seg, pct, at in self._read(stmt):
            out.setdefault(d, {})[seg] = (int(pct), at)
        return out

    def devices(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self._read(select(t.devices.c.device, t.devices.c.state))}

    def add_message(self, device: str, ident: str, direction: str, text: str, at: str) -> bool:
        with self._write() as conn:
            return conn.execute(self._ins_message, {
                "id": _text(ident), "device": device, "direction": direction,
                "text": _text(text), "at": _text(at), "acked_at": None}).first() is not None

    def ack_message(self, ident: str, device: str) -> bool:
        """Mark the message ``ident`` sent to ``device`` delivered (once). True when the id
        is one the clinic sent that device (a message or an appointment, which has no
        acked_at), False for an unknown id or another device's item (nothing changes).
        An appointment's kept envelope (clinic/downlink_schema.py) is marked acked too."""
        from clinic.downlink_schema import downlink

        m, a, d = t.messages.c, t.appointments.c, downlink.c
        with self._write() as conn:
            sent = (m.id == ident, m.device == device, m.direction == "to_patient")
            if conn.execute(select(m.id).where(*sent)).first() is not None:
                conn.execute(update(t.messages).where(*sent, m.acked_at.is_(None))
                             .values(acked_at=_now()))
                return True
            kept = (d.id == ident, d.device == device)
            conn.execute(update(downlink).where(*kept, d.acked_at.is_(None))
                         .values(acked_at=_now()))
            return (conn.execute(select(d.id).where(*kept)).first() is not None
                    or conn.execute(select(a.id).where(a.id == ident, a.device == device))
                    .first() is not None)

    def messages(self, device: str) -> list[tuple[str, str, str, str | None]]:
        m = t.messages.c
        return [tuple(r) for r in self._read(  # type: ignore[misc]
            select(m.id, m.direction, m.text, m.acked_at).where(m.device == device)
            .order_by(m.at))]

    def add_plan(self, device: str, version: int, text: str) -> None:
        with self._write() as conn:
            conn.execute(self._upsert_plan, {"device": device, "version": version,
                                             "plan_text": text, "pushed_at": _now()})

    def latest_plan(self, device: str) -> str | None:
        p = t.plans.c
        rows = self._read(select(p.plan_text).where(p.device == device)
                          .order_by(p.version.desc()).limit(1))
        return rows[0][0] if rows else None

    def add_appointment(self, ident: str, device: str, start_at: str, minutes: int) -> None:
        with self._write() as conn:
            conn.execute(self._upsert_appointment, {
                "id": ident, "device": device, "start_at": start_at, "minutes": minutes,
                "started_at": None, "session": None})

    def appointment_started(self, ident: str, at: str, session: str | None) -> None:
        a = t.appointments.c
        with self._write() as conn:
            conn.execute(update(t.appointments).where(a.id == ident)
                         .values(started_at=_text(at), session=_opt_text(session)))

    def appointments(self, device: str) -> list[tuple[str, str, int, str | None]]:
        a = t.appointments.c
        return [tuple(r) for r in self._read(  # type: ignore[misc]
            select(a.id, a.start_at, a.minutes, a.started_at).where(a.device == device))]


def open_store(data_dir: str | Path, db: str | None = None) -> ClinicStore:
    """The store ``--db`` names (None: ``clinic.db`` in ``data_dir``)."""
    url = database_url(db, data_dir)
    return ClinicStore(Path(data_dir) / DB_FILE if not db else None, url=url if db else None)


def _utc(value: Any) -> str | None:
    """An ISO time with a zone as UTC ISO text; None for anything else."""
    try:
        t_ = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if t_ is None or t_.tzinfo is None:
        return None
    return t_.astimezone(timezone.utc).isoformat()


def _reason(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    lines = str(orig if orig is not None else exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
