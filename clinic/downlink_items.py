"""The ``downlink`` rows (clinic/downlink_schema.py): an appointment's latest signed
envelope, kept until its device acks it, for :mod:`clinic.resender` to send again."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, insert, select, update

from clinic.downlink_schema import downlink
from clinic.store import write_transaction


class KeptItem(NamedTuple):
    id: str
    kind: str
    payload: bytes
    sent_at: datetime


def keep(engine: Any, ident: str, device: str, kind: str, payload: bytes,
         at: datetime) -> tuple[Any, ...] | None:
    """Keep ``payload`` as the item's latest send, not acked; returns the row it replaced
    (for :func:`restore`) or None."""
    d = downlink.c
    row = {"device": device, "kind": kind, "payload": payload.decode(),
           "sent_at": at.isoformat(), "acked_at": None}
    with write_transaction(engine) as conn:  # it reads, then writes: the write lock first
        before = conn.execute(select(downlink).where(d.id == ident)).first()
        if before is None:
            conn.execute(insert(downlink).values(id=ident, **row))
        else:
            conn.execute(update(downlink).where(d.id == ident).values(**row))
    return None if before is None else tuple(before)


def restore(engine: Any, ident: str, before: tuple[Any, ...] | None) -> None:
    """Undo :func:`keep` (the publish certainly failed)."""
    with engine.begin() as conn:
        conn.execute(delete(downlink).where(downlink.c.id == ident))
        if before is not None:
            conn.execute(insert(downlink).values(dict(zip(downlink.c.keys(), before))))


def unacked(engine: Any, device: str) -> list[KeptItem]:
    d = downlink.c
    with engine.connect() as conn:
        rows = conn.execute(select(d.id, d.kind, d.payload, d.sent_at).where(
            d.device == device, d.acked_at.is_(None))).all()
    return [KeptItem(i, k, p.encode(), datetime.fromisoformat(at)) for i, k, p, at in rows]
