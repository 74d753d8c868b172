"""A FHIR resource's rows in the clinic store, built before any transaction (pure).

:func:`prepare` checks what the store needs (an identifier; text a TEXT column can hold;
counts that fit PostgreSQL's 32-bit INTEGER) and builds the ``resources`` row plus its
``sessions`` or ``pain`` row, so ingest can refuse a record as a counted rejection before
queueing it, and one bad record never fails a whole group commit. No I/O library here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, NamedTuple

from clinic.errors import StoreError
from clinic.fhir_time import stored_time
from clinic.session_gaps import gap_rows
from therapy.fhir import CODES, PAIN_CODE, ROM_CODE, resource_identifier

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1  # PostgreSQL INTEGER columns


def _now() -> str:
    return datetime.now(UTC).isoformat()


class Prepared(NamedTuple):
    """A record's rows, checked before any transaction (:func:`prepare`)."""

    row: dict[str, Any]  # the resources row
    kind: str | None  # "session", "pain" or None: the table of ``extra``
    extra: dict[str, Any]


def prepare(device: str, resource: dict[str, Any], raw: str | None = None) -> Prepared:
    """The rows of a FHIR resource; StoreError when it cannot be stored (no identifier,
    NUL in a text field). Pure: the watcher runs it before queueing a group commit.

    ``raw``: the JSON text ``resource`` was decoded from (ingest passes the payload it
    checked), stored as it came instead of encoding the resource again.
    """
    ident = resource_identifier(resource)
    rtype = str(resource.get("resourceType", "?"))
    if ident is None:
        raise StoreError(f"{rtype} from {device} has no identifier")
    kind, extra = None, {}
    if rtype == "Bundle":
        kind, extra = "session", _session_row(ident, device, resource)
    elif rtype == "Observation" and _has_code(resource, PAIN_CODE["code"]):
        kind, extra = "pain", _pain_row(ident, device, resource)
    return Prepared({"identifier": _text(ident), "device": device,
                     "resource_type": _text(rtype), "received_at": _now(),
                     "body": json.dumps(resource) if raw is None else _text(raw),
                     "at": stored_time(resource)}, kind, extra)


def _text(value: Any) -> str:
    """Text for a column; NUL (which PostgreSQL's TEXT refuses) is refused on every backend."""
    s = str(value)
    if "\x00" in s:
        raise StoreError("a text field contains a NUL character")
    return s


def _opt_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _int(value: Any) -> int | None:
    """A whole number from a record field, or None: a string or bool is not a count, nor is
    one beyond 32 bits (PostgreSQL's INTEGER; mqtt.inbound admits up to 2**63)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not (INT32_MIN <= value <= INT32_MAX and float(value).is_integer()):
        return None
    return int(value)


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _has_code(obs: dict[str, Any], code: str) -> bool:
    return any(c.get("code") == code for c in obs.get("code", {}).get("coding", []))


def _component(obs: dict[str, Any], code: str) -> Any:
    for comp in obs.get("component", []):
        if any(c.get("system") == CODES and c.get("code") == code
               for c in comp.get("code", {}).get("coding", [])):
            for key, value in comp.items():
                if key.startswith("value"):
                    return value.get("value") if isinstance(value, dict) else value
    return None


def _session_row(ident: str, device: str, bundle: dict[str, Any]) -> dict[str, Any]:
    resources = [e.get("resource", {}) for e in bundle.get("entry", [])]
    summary = resources[0] if resources else {}
    period = summary.get("effectivePeriod", {})
    roms = [r["valueQuantity"]["value"] for r in resources[1:]
            if _has_code(r, ROM_CODE["code"]) and "valueQuantity" in r]
    exercise = (summary.get("method", {}).get("coding") or [{}])[0].get("code", "?")
    return {"identifier": _text(ident), "device": device, "exercise": _text(exercise),
            "started_at": _text(period.get("start", "")),
            "ended_at": _text(period.get("end", "")),
            "reps": _int(_component(summary, "reps-completed")) or 0,
            "target_reps": _int(_component(summary, "reps-target")),
            "sets_done": _int(_component(summary, "sets-completed")),
            "mean_rom_deg": _float(summary.get("valueQuantity", {}).get("value")),
            "rom_list": json.dumps(roms),
            "completed": int(bool(_component(summary, "session-completed"))),
            "gaps": gap_rows(resources[1:])}


def _pain_row(ident: str, device: str, obs: dict[str, Any]) -> dict[str, Any]:
    session = next((i["value"] for i in obs.get("identifier", [])[1:]), None)
    phase = next((c["code"] for cat in obs.get("category", []) for c in cat.get("coding", [])
                  if str(c.get("code", "")).startswith("pain-")), "pain-?")[5:]
    rating = _int(obs.get("valueInteger", -1))
    if rating is None:
        raise StoreError("a pain rating must be a whole number (0-10)")
    return {"identifier": _text(ident), "device": device, "session": _opt_text(session),
            "phase": _text(phase), "rating": rating,
            "at": _text(obs.get("effectiveDateTime", ""))}
