"""Alert-worthy facts picked out of stored resources, once, into ``web_notes``.

Questionnaire answers with a red flag and device audit events (a rejected plan, a
locked-out kiosk, damaged settings) arrive as FHIR JSON in ``resources``. The caseload
must not parse thousands of JSON bodies per request, so :func:`refresh` reads only what
arrived since it last looked (``received_at`` of the newest row read, with an overlap for
writers whose clocks or commits lag) and keeps what matters as small rows.
:func:`notes_of` is pure.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection, Engine

from clinic.schema import resources
from clinic.store import write_transaction
from clinic.web_schema import web_notes, web_notes_cursor
from therapy.fhir import CODES

log = logging.getLogger(__name__)
OVERLAP = timedelta(minutes=10)  # rows committed late by another ingest process
SECURITY_KINDS = frozenset({"locked_out", "settings_damaged", "code_failed"})
SCANNED_TYPES = ("QuestionnaireResponse", "AuditEvent")


class Note(NamedTuple):
    kind: str  # red_flag, plan_rejected, security
    at: str
    detail: str


def notes_of(resource: dict[str, Any]) -> list[Note]:
    """What the caseload alerts on in one resource (empty for most)."""
    rtype = resource.get("resourceType")
    if rtype == "QuestionnaireResponse":
        items = {i.get("linkId"): i.get("answer") for i in resource.get("item", [])
                 if isinstance(i, dict)}
        if _answer(items.get("red_flag")) is not True:
            return []
        which = [str(k)[8:].replace("_", " ") for k, v in items.items()
                 if str(k).startswith("redflag.") and _answer(v) is True]
        form = "intake" if "intake" in str(resource.get("questionnaire", "")) else "check-in"
        return [Note("red_flag", str(resource.get("authored", "")),
                     f"red flag in {form}: {', '.join(which) or 'yes'}")]
    if rtype == "AuditEvent":
        kind = next((s.get("code") for s in resource.get("subtype", [])
                     if isinstance(s, dict) and s.get("system") == CODES), None)
        at = str(resource.get("recorded", ""))
        desc = str(resource.get("outcomeDesc", ""))[:200]
        if kind == "plan_rejected":
            return [Note("plan_rejected", at, f"plan rejected: {desc or 'no reason given'}")]
        if kind in SECURITY_KINDS:
            return [Note("security", at, f"{str(kind).replace('_', ' ')}"
                         + (f": {desc}" if desc else ""))]
    return []


def _answer(answers: Any) -> Any:
    if isinstance(answers, list) and answers and isinstance(answers[0], dict):
        return answers[0].get("valueBoolean")
    return None


def refresh(engine: Engine) -> int:
    """Read resources that arrived since the last refresh; returns notes added."""
    with engine.connect() as conn:  # read without taking the write lock
        cursor = conn.scalar(select(web_notes_cursor.c.received_at))
        q = (select(resources.c.identifier, resources.c.device, resources.c.received_at,
                    resources.c.body)
             .where(resources.c.resource_type.in_(SCANNED_TYPES))
             .order_by(resources.c.received_at))
        if cursor:
            since = datetime.fromisoformat(cursor) - OVERLAP
            q = q.where(resources.c.received_at >= since.isoformat())
        newest, found = cursor, []
        for ident, device, received_at, body in conn.execute(q):
            newest = max(newest or received_at, received_at)
            try:
                parsed = json.loads(body)
            except ValueError:
                continue  # ingest validated it; a damaged row is not an alert
            found += [{"identifier": ident if i == 0 else f"{ident}#{i}", "device": device,
                       "at": n.at, "kind": n.kind, "detail": n.detail}
                      for i, n in enumerate(notes_of(parsed) if isinstance(parsed, dict)
                                            else [])]
    if newest == cursor and not found:
        return 0
    with write_transaction(engine) as conn:  # it reads what is held, then writes
        added = _insert_new(conn, found)
        if newest != cursor:
            conn.execute(delete(web_notes_cursor))
            conn.execute(insert(web_notes_cursor).values(received_at=newest))
    return added


def _insert_new(conn: Connection, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
    held = set(conn.scalars(select(web_notes.c.identifier).where(
        web_notes.c.identifier.in_([r["identifier"] for r in rows]))))
    new = [r for r in rows if r["identifier"] not in held]
    if new:
        conn.execute(insert(web_notes), new)
    return len(new)
