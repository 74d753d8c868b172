"""The web application's own tables (SQLAlchemy Core) on the clinic store's MetaData.

Accounts, login throttling, integration tokens, the audit of who viewed or changed which
patient's data, the therapist's label for each device, and the alert notes the caseload
reads (red flags, plan rejections, security events picked out of stored resources once,
so the caseload never parses JSON per request). :func:`web_step` is the migration step
that creates them (one step of ``clinic.migrations.MIGRATIONS``).
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, Index, Integer, Table, Text, inspect, text

from clinic.schema import metadata

# therapist accounts: argon2id hash (argon2-cffi's encoded string)
web_users = Table(
    "web_users", metadata,
    Column("username", Text, primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("failures", Integer, nullable=False, default=0),  # failed logins in a row
    Column("locked_until", Text),  # ISO UTC; no login before it
)

# per-integration API tokens for /fhir: SHA-256 of a 256-bit random token, never the token
web_tokens = Table(
    "web_tokens", metadata,
    Column("name", Text, primary_key=True),
    Column("token_sha256", Text, nullable=False, unique=True),
    Column("created_at", Text, nullable=False),
)

# who viewed or changed which patient's (device's) data, and logins
web_audit = Table(
    "web_audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Text, nullable=False),
    Column("actor", Text, nullable=False),  # username, "token:NAME" or "-" (unknown)
    Column("action", Text, nullable=False),  # view, change, login, login_failed, ...
    Column("device", Text),  # the patient's device id, or None for clinic-wide actions
    Column("what", Text, nullable=False),  # page or API path, field changed
    Index("web_audit_device", "device", "at"),
)

# the therapist's own label for a device (the device id stays opaque on the wire)
web_labels = Table(
    "web_labels", metadata,
    Column("device", Text, primary_key=True),
    Column("label", Text, nullable=False),
    Column("set_by", Text, nullable=False),
    Column("set_at", Text, nullable=False),
)

# alert-worthy facts found in stored resources (identifier of the resource they came from)
web_notes = Table(
    "web_notes", metadata,
    Column("identifier", Text, primary_key=True),
    Column("device", Text, nullable=False),
    Column("at", Text, nullable=False),  # the resource's own time
    Column("kind", Text, nullable=False),  # red_flag, plan_rejected, security
    Column("detail", Text, nullable=False),
    Index("web_notes_device", "device", "at"),
)

# how far web_notes has read the resources table (received_at of the newest row read)
web_notes_cursor = Table(
    "web_notes_cursor", metadata,
    Column("received_at", Text, nullable=False),
)

# secrets every serve process of the clinic shares (the session and CSRF signing key), so a
# login holds across processes behind one address and across restarts
web_secrets = Table(
    "web_secrets", metadata,
    Column("name", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

WEB_TABLES = (web_users, web_tokens, web_audit, web_labels, web_notes, web_notes_cursor,
              web_secrets)

# The migration step (clinic.migrations appends it): the tables above plus indexes the pages
# need on the store's tables (pain by device and time for the caseload's baselines;
# resources by type and arrival for web_notes, by device and type for the patient page).
# IF NOT EXISTS: a database that got these tables before the step shipped passes through.
_STEP = """
CREATE TABLE IF NOT EXISTS web_users (
    username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, created_at TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0, locked_until TEXT);
CREATE TABLE IF NOT EXISTS web_tokens (
    name TEXT PRIMARY KEY, token_sha256 TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS web_audit (
    id {id_column}, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
    device TEXT, what TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS web_audit_device ON web_audit(device, at);
CREATE TABLE IF NOT EXISTS web_labels (
    device TEXT PRIMARY KEY, label TEXT NOT NULL, set_by TEXT NOT NULL, set_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS web_notes (
    identifier TEXT PRIMARY KEY, device TEXT NOT NULL, at TEXT NOT NULL, kind TEXT NOT NULL,
    detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS web_notes_device ON web_notes(device, at);
CREATE TABLE IF NOT EXISTS web_notes_cursor (received_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS pain_device_at ON pain(device, at);
CREATE INDEX IF NOT EXISTS pain_at ON pain(at);
CREATE INDEX IF NOT EXISTS resources_type_received ON resources(resource_type, received_at);
CREATE INDEX IF NOT EXISTS resources_device_type ON resources(device, resource_type, received_at)
"""
_ID_COLUMN = {"postgresql": "INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"}


def web_step_sql(dialect: str) -> list[str]:
    """The step's statements for a dialect name (sqlite or postgresql)."""
    text_ = _STEP.replace("{id_column}", _ID_COLUMN.get(dialect, "INTEGER PRIMARY KEY"))
    return [s.strip() for s in text_.split(";") if s.strip()]


def web_step(conn: Connection) -> None:
    """Migration step: the web application's tables and indexes (clinic.migrations)."""
    have = set(inspect(conn).get_table_names())
    for stmt in web_step_sql(conn.dialect.name):
        on = stmt.split(" ON ", 1)[1].split("(", 1)[0] if " ON " in stmt else None
        if on is None or on in have or on.startswith("web_"):  # indexes: tables present
            conn.execute(text(stmt))


def web_secrets_step(conn: Connection) -> None:
    """Migration step: ``web_secrets`` (the shared signing key of sessions and CSRF)."""
    conn.execute(text("CREATE TABLE IF NOT EXISTS web_secrets "
                      "(name TEXT PRIMARY KEY, value TEXT NOT NULL)"))
