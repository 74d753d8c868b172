"""Records the clinic refused for good, kept for a maintainer (issue 12 follow-up).

A record whose checks fail (not valid FHIR, a hostile payload: ``mqtt.inbound.Reject``)
is answered with a refusal on the device's ``ack`` leaf (``mqtt.delivery.encode_refusal``)
only AFTER its payload is committed here, so nothing is thrown away on either side: the
device keeps its row marked refused, the clinic keeps the payload. One row per device and
record id: the first payload refused is kept, later refusals of the same record (a
maintainer's requeue, a resend that crossed the refusal) count in ``refusals`` and update
the reason. A record the clinic could not store for a passing reason (its database down
or locked) is not quarantined and gets no refusal: the device resends it.

:func:`quarantine_step` is the migration step (``clinic.migrations.MIGRATIONS``); reading
and writing: :mod:`clinic.quarantine`.
"""

from __future__ import annotations

from sqlalchemy import (Column, Connection, Index, Integer, LargeBinary, PrimaryKeyConstraint,
                        Table, Text, text)

from clinic.schema import metadata

refused_records = Table(
    "refused_records", metadata,
    Column("device", Text, nullable=False),
    Column("record_id", Text, nullable=False),  # the device's outbox record id
    Column("leaf", Text, nullable=False),  # records, messages/out
    Column("reason", Text, nullable=False),  # the newest refusal's code (Reject value)
    Column("detail", Text, nullable=False),  # what rule failed (never payload text)
    Column("payload", LargeBinary, nullable=False),  # the first refused payload, as received
    Column("first_at", Text, nullable=False),
    Column("last_at", Text, nullable=False),
    Column("refusals", Integer, nullable=False),
    PrimaryKeyConstraint("device", "record_id"),
    Index("refused_records_last", "last_at"),
)

_BLOB = {"postgresql": "BYTEA"}


def quarantine_step(conn: Connection) -> None:
    """Migration step: ``refused_records``."""
    blob = _BLOB.get(conn.dialect.name, "BLOB")
    conn.execute(text(f"""CREATE TABLE refused_records (
        device TEXT NOT NULL, record_id TEXT NOT NULL, leaf TEXT NOT NULL,
        reason TEXT NOT NULL, detail TEXT NOT NULL, payload {blob} NOT NULL,
        first_at TEXT NOT NULL, last_at TEXT NOT NULL, refusals INTEGER NOT NULL,
        PRIMARY KEY (device, record_id))"""))
    conn.execute(text("CREATE INDEX refused_records_last ON refused_records(last_at)"))
