"""The clinic store's tables (SQLAlchemy Core), one MetaData for every clinic-side module.

These definitions describe the database that :mod:`clinic.migrations` builds; they are
what queries are written against (the store, the web application). They never create
anything themselves: the schema changes only through a new step appended to
``clinic.migrations.MIGRATIONS`` (explicit DDL), and ``tests/clinic/test_schema.py``
checks that a migrated database has exactly the tables and columns declared here.

Other clinic modules (e.g. the web application's accounts) declare their tables against
the same :data:`metadata` and append their own migration step.

Times are ISO 8601 text (UTC for times the clinic stamps; a record's own times as the
device wrote them), as in the first SQLite version, so older ``clinic.db`` files open as
they are.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, MetaData, PrimaryKeyConstraint, Table, Text

metadata = MetaData()

# version of the schema the migrations built (one row); clinic.migrations owns it
schema_version = Table("schema_version", metadata, Column("version", Integer))

# every FHIR resource received, once per identifier, as JSON text
resources = Table(
    "resources", metadata,
    Column("identifier", Text, primary_key=True),
    Column("device", Text, nullable=False),
    Column("resource_type", Text, nullable=False),
    Column("received_at", Text, nullable=False),
    Column("body", Text, nullable=False),
    # the time a FHIR date search compares (clinic/fhir_time.py; None: read and check)
    Column("at", Text),
)

# one row per exercise session Bundle (summary Observation + per-rep ROM)
sessions = Table(
    "sessions", metadata,
    Column("identifier", Text, primary_key=True),
    Column("device", Text, nullable=False),
    Column("exercise", Text, nullable=False),
    Column("started_at", Text, nullable=False),
    Column("ended_at", Text, nullable=False),
    Column("reps", Integer, nullable=False),
    Column("target_reps", Integer),
    Column("sets_done", Integer),
    Column("mean_rom_deg", Float),
    Column("rom_list", Text, nullable=False),  # JSON list of degrees, one per rep
    Column("completed", Integer, nullable=False),  # 0/1
    # JSON list of its wearable drop-outs (clinic/session_gaps.py); NULL: stored before
    # the clinic kept them (schema 9)
    Column("gaps", Text),
    Index("sessions_device", "device", "started_at"),
)

# pain ratings (0-10) before/after a session or in a check-in
pain = Table(
    "pain", metadata,
    Column("identifier", Text, primary_key=True),
    Column("device", Text, nullable=False),
    Column("session", Text),
    Column("phase", Text),
    Column("rating", Integer, nullable=False),
    Column("at", Text, nullable=False),
)

# direction: "to_patient" (sent by the clinic) or "to_therapist" (from the kiosk)
messages = Table(
    "messages", metadata,
    Column("id", Text, primary_key=True),
    Column("device", Text, nullable=False),
    Column("direction", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("at", Text, nullable=False),
    Column("acked_at", Text),
)

# last state a device reported on its status leaf (online/offline/...)
devices = Table(
    "devices", metadata,
    Column("device", Text, primary_key=True),
    Column("state", Text, nullable=False),
    Column("last_seen", Text, nullable=False),
)

# every plan version pushed (the plan JSON as signed)
plans = Table(
    "plans", metadata,
    Column("device", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("plan_text", Text, nullable=False),
    Column("pushed_at", Text, nullable=False),
    PrimaryKeyConstraint("device", "version"),
)

appointments = Table(
    "appointments", metadata,
    Column("id", Text, primary_key=True),
    Column("device", Text, nullable=False),
    Column("start_at", Text, nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("started_at", Text),
    Column("session", Text),
)
