"""The clinic's quarantine of refused records (table: :mod:`clinic.quarantine_schema`).

Written before a refusal is published (:func:`quarantine`), read by ``/healthz``, the
caseload's alert and maintainers (:func:`refused`, :func:`refused_payload`).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from typing import NamedTuple

from sqlalchemy import text

from clinic.store import ClinicStore


class RefusedRecord(NamedTuple):
    device: str
    record_id: str
    leaf: str
    reason: str
    detail: str
    first_at: str
    last_at: str
    refusals: int
    size_bytes: int


_UPSERT = text(
    "INSERT INTO refused_records (device, record_id, leaf, reason, detail, payload, "
    "first_at, last_at, refusals) VALUES (:device, :record_id, :leaf, :reason, :detail, "
    ":payload, :at, :at, 1) ON CONFLICT (device, record_id) DO UPDATE SET "
    "reason = excluded.reason, detail = excluded.detail, last_at = excluded.last_at, "
    "refusals = refused_records.refusals + 1")


def quarantine(store: ClinicStore, device: str, record_id: str, leaf: str, reason: str,
               detail: str, payload: bytes) -> None:
    """Keep a refused payload (one transaction); raises the store's error when it cannot
    (then no refusal may be sent: the device's resend brings the record back)."""
    at = datetime.now(timezone.utc).isoformat()
    with store._write() as conn:
        conn.execute(_UPSERT, {"device": device, "record_id": record_id, "leaf": leaf,
                               "reason": reason, "detail": detail[:200], "payload": payload,
                               "at": at})


def refused(store: ClinicStore, device: str | None = None,
            limit: int = 200) -> list[RefusedRecord]:
    """Newest first; one device's, or every device's."""
    where = "WHERE device = :device " if device is not None else ""
    rows = store._read(text(
        "SELECT device, record_id, leaf, reason, detail, first_at, last_at, refusals, "
        f"length(payload) FROM refused_records {where}ORDER BY last_at DESC LIMIT :limit"),
        {"device": device, "limit": limit})
    return [RefusedRecord(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]),
                          str(r[6]), int(r[7]), int(r[8])) for r in rows]


def refused_payload(store: ClinicStore, device: str, record_id: str) -> bytes | None:
    rows = store._read(text("SELECT payload FROM refused_records WHERE device = :device AND "
                            "record_id = :record_id"),
                       {"device": device, "record_id": record_id})
    return bytes(rows[0][0]) if rows else None


def refused_by_reason(store: ClinicStore) -> Counter[str]:
    """Refused records per reason code, every device."""
    rows = store._read(text("SELECT reason, COUNT(*) FROM refused_records GROUP BY reason"))
    return Counter({str(r): int(n) for r, n in rows})


def refused_per_device(store: ClinicStore) -> dict[str, int]:
    """How many records each device has in quarantine (the caseload's alert)."""
    rows = store._read(text("SELECT device, COUNT(*) FROM refused_records GROUP BY device"))
    return {str(d): int(n) for d, n in rows}
