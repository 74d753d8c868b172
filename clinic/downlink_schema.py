"""Signed downlink items the clinic keeps until the device acks them (issue 14).

``downlink``: an appointment, its move or its cancellation as last sealed for its device
(the signed envelope as sent, so a resend is the same bytes), when it was sealed and when
the device acked it. Therapist replies are not here: the ``messages`` table holds what
seals them again. :func:`downlink_step` is the migration step that creates the table
(``clinic.migrations.MIGRATIONS``); the rows are written by :mod:`clinic.downlink_items`.
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, Index, Table, Text, text

from clinic.schema import metadata

downlink = Table(
    "downlink", metadata,
    Column("id", Text, primary_key=True),  # the item's id (an appointment's)
    Column("device", Text, nullable=False),
    Column("kind", Text, nullable=False),  # "appointment" or "cancelled"
    Column("payload", Text, nullable=False),  # the signed envelope as published
    Column("sent_at", Text, nullable=False),  # when it was sealed (UTC, ISO 8601)
    Column("acked_at", Text),  # when the device's ack came (NULL: not yet)
    Index("downlink_device", "device", "acked_at"),
)


def downlink_step(conn: Connection) -> None:
    """Migration step: ``downlink``."""
    conn.execute(text("""CREATE TABLE downlink (
        id TEXT PRIMARY KEY, device TEXT NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL,
        sent_at TEXT NOT NULL, acked_at TEXT)"""))
    conn.execute(text("CREATE INDEX downlink_device ON downlink(device, acked_at)"))
