"""Outbox rows the clinic refused for good (its refusal on the ``ack`` leaf).

A refused row is never deleted silently: it stays in ``outbox`` with the clinic's reason
code and the time (``refused_code``, ``refused_at``, schema 5), :meth:`TherapyStore.outbox_batch`
no longer hands it to the drainer and :meth:`TherapyStore.outbox_count` no longer counts it
as waiting. The kiosk's Settings, ``rehab sync`` and ``rehab doctor`` list them; a
maintainer requeues them after a fix (``rehab sync --retry-refused``): the clinic then
checks them again. A receipt for a refused record (another clinic process accepted it:
accepted wins) deletes the row like any other.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import NamedTuple, Sequence

from therapy.store import TherapyStore


class RefusedRow(NamedTuple):
    row_id: int
    channel: str
    record_id: str
    code: str  # the clinic's reason (mqtt.inbound.Reject value, e.g. not_fhir)
    refused_at: str
    created_at: str
    size_bytes: int


def mark_refused(store: TherapyStore, refusals: Sequence[tuple[str, str]],
                 at: datetime) -> set[str]:
    """Mark the rows of these (record id, code) pairs refused, in one transaction; returns
    the record ids that had a row waiting (the rest are unknown: already confirmed, or
    never this device's)."""
    marked: set[str] = set()
    with store._transaction() as db:
        for record_id, code in refusals:
            cur = db.execute("UPDATE outbox SET refused_code = ?, refused_at = ? "
                             "WHERE record_id = ? AND refused_code IS NULL",
                             (code, at.isoformat(), record_id))
            if cur.rowcount:
                marked.add(record_id)
    return marked


def delete_refused(store: TherapyStore, record_ids: Sequence[str]) -> int:
    """A receipt came for records marked refused (accepted wins): their rows go."""
    if not record_ids:
        return 0
    with store._transaction() as db:
        n = 0
        for record_id in record_ids:
            n += db.execute("DELETE FROM outbox WHERE record_id = ? AND refused_code IS NOT "
                            "NULL", (record_id,)).rowcount
    return n


def refused_rows(store: TherapyStore, limit: int = 1000) -> list[RefusedRow]:
    rows = store._query("SELECT id, channel, record_id, refused_code, refused_at, created_at, "
                        "length(payload) FROM outbox WHERE refused_code IS NOT NULL "
                        "ORDER BY id LIMIT ?", (limit,))
    return [RefusedRow(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]),
                       int(r[6])) for r in rows]


def refused_count(store: TherapyStore) -> int:
    return int(store._query("SELECT COUNT(*) FROM outbox WHERE refused_code IS NOT NULL")
               [0][0])


def refused_by_code(store: TherapyStore) -> Counter[str]:
    rows = store._query("SELECT refused_code, COUNT(*) FROM outbox WHERE refused_code IS NOT "
                        "NULL GROUP BY refused_code")
    return Counter({str(code): int(n) for code, n in rows})


def requeue_refused(store: TherapyStore) -> int:
    """Clear every refusal mark: those rows are sent again by the next drain."""
    with store._transaction() as db:
        return int(db.execute("UPDATE outbox SET refused_code = NULL, refused_at = NULL "
                              "WHERE refused_code IS NOT NULL").rowcount)
