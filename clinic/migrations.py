"""Versioned schema of the clinic store: explicit DDL steps, applied in order on open.

Append-only. ``MIGRATIONS[i]`` takes the database from version ``i`` to ``i + 1``; the
version is the one row of ``schema_version`` (the table the first SQLite store already
kept, so a ``clinic.db`` written before SQLAlchemy opens at version 1 and is not touched).
Every step is plain DDL that SQLite and PostgreSQL both accept (TEXT, INTEGER, BIGINT,
DOUBLE PRECISION), never ``metadata.create_all``: a step must keep meaning what it meant
when it shipped, whatever ``clinic/schema.py`` later declares.

To change the schema (any clinic module, e.g. the web application's accounts): declare the
table in your module against ``clinic.schema.metadata`` and append ONE step here with a
comment naming what it is for. A step is a tuple of statements, or a function
``step(conn)`` for DDL that differs per dialect (``conn.dialect.name``). Module names
ending in ``schema`` or ``tables`` under ``clinic/`` are imported by
``tests/clinic/test_schema.py``, which fails until the migrated database (SQLite and
PostgreSQL) has exactly the declared tables and columns.

A database whose version is above ``len(MIGRATIONS)`` was written by a newer program:
:func:`migrate` refuses it (:class:`~clinic.errors.SchemaTooNew`) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, inspect, text

from clinic.downlink_schema import downlink_step
from clinic.errors import SchemaTooNew
from clinic.fhir_query import fhir_search_step, resource_time_step
from clinic.quarantine_schema import quarantine_step
from clinic.status_schema import status_step
from clinic.web_schema import web_secrets_step, web_step

Step = tuple[str, ...] | Callable[[Connection], None]

MIGRATIONS: tuple[Step, ...] = (
    # 1: the first clinic store (records, sessions, pain, messages, devices, plans,
    #    appointments), as the SQLite-only store created it
    (
        """CREATE TABLE resources (
            identifier TEXT PRIMARY KEY, device TEXT NOT NULL, resource_type TEXT NOT NULL,
            received_at TEXT NOT NULL, body TEXT NOT NULL)""",
        """CREATE TABLE sessions (
            identifier TEXT PRIMARY KEY, device TEXT NOT NULL, exercise TEXT NOT NULL,
            started_at TEXT NOT NULL, ended_at TEXT NOT NULL, reps INTEGER NOT NULL,
            target_reps INTEGER, sets_done INTEGER, mean_rom_deg DOUBLE PRECISION,
            rom_list TEXT NOT NULL, completed INTEGER NOT NULL)""",
        "CREATE INDEX sessions_device ON sessions(device, started_at)",
        """CREATE TABLE pain (
            identifier TEXT PRIMARY KEY, device TEXT NOT NULL, session TEXT, phase TEXT,
            rating INTEGER NOT NULL, at TEXT NOT NULL)""",
        """CREATE TABLE messages (
            id TEXT PRIMARY KEY, device TEXT NOT NULL, direction TEXT NOT NULL,
            text TEXT NOT NULL, at TEXT NOT NULL, acked_at TEXT)""",
        """CREATE TABLE devices (
            device TEXT PRIMARY KEY, state TEXT NOT NULL, last_seen TEXT NOT NULL)""",
        """CREATE TABLE plans (
            device TEXT NOT NULL, version INTEGER NOT NULL, plan_text TEXT NOT NULL,
            pushed_at TEXT NOT NULL, PRIMARY KEY (device, version))""",
        """CREATE TABLE appointments (
            id TEXT PRIMARY KEY, device TEXT NOT NULL, start_at TEXT NOT NULL,
            minutes INTEGER NOT NULL, started_at TEXT, session TEXT)""",
    ),
    # 2: the web application (clinic/web_schema.py): accounts, tokens, audit of views and
    #    changes, device labels, alert notes; indexes on pain and resources for its pages
    web_step,
    # 3: the web application's shared signing key (clinic/web_schema.py web_secrets), so
    #    several serve processes and restarts keep a therapist's login
    web_secrets_step,
    # 4: what devices report on their status leaf (clinic/status_schema.py): every status
    #    event, and the newest battery level per wearable for the caseload's alert
    status_step,
    # 5: records the clinic refused for good, their payloads kept for a maintainer
    #    (clinic/quarantine_schema.py; the device is told with a refusal on its ack leaf)
    quarantine_step,
    # 6: indexes the FHIR read API's searches need (clinic/fhir_query.py): sessions by start
    #    and by end, pain by time in code point order on PostgreSQL, Observation identifiers
    fhir_search_step,
    # 7: resources.at, the time a FHIR date search compares (clinic/fhir_time.py), filled
    #    from the stored records; its index; step 6's pain and anti-join indexes dropped
    resource_time_step,
    # 8: appointments (moves, cancellations) as last signed for their device, kept until it
    #    acks them, for the downlink resend (clinic/downlink_schema.py)
    downlink_step,
    # 9: each session's wearable drop-outs (clinic/session_gaps.py), a JSON list like
    #    rom_list; NULL for the sessions stored before
    lambda conn: _session_gaps_step(conn),
)

def _session_gaps_step(conn: Connection) -> None:
    """Step 9: ``sessions.gaps`` (a store from the SQLite-only days may lack the table:
    nothing to add to then, as in web_step)."""
    if "sessions" in inspect(conn).get_table_names():
        conn.execute(text("ALTER TABLE sessions ADD COLUMN gaps TEXT"))


# PostgreSQL: one advisory lock key so two serve processes starting together migrate once
_PG_LOCK_KEY = 0x7265_6861_6221  # "rehab!"


def current_version(conn: Connection) -> int:
    row = conn.execute(text("SELECT version FROM schema_version")).first()
    return int(row[0]) if row else 0


def migrate(conn: Connection, where: str, steps: tuple[Step, ...] = MIGRATIONS) -> int:
    """Bring the database to ``len(steps)`` inside the caller's transaction; returns it.

    The caller holds a write transaction (SQLite: BEGIN IMMEDIATE); on PostgreSQL an
    advisory transaction lock serialises concurrent openers.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    conn.execute(text("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)"))
    version = current_version(conn)
    if version > len(steps):
        raise SchemaTooNew(where, version, len(steps))
    if version == len(steps):
        return version
    for step in steps[version:]:
        if callable(step):
            step(conn)
            continue
        for stmt in step:
            conn.execute(text(stmt))
    conn.execute(text("DELETE FROM schema_version"))
    conn.execute(text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": len(steps)})
    return len(steps)
