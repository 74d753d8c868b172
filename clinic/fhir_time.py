"""The time a FHIR search by date compares, per resource type (pure: no I/O library).

The read API (clinic/web/fhir_api.py) checks every resource it reads with
:func:`search_time`; ingest stores the same text in ``resources.at``
(:func:`stored_time`, clinic/rows.py), so a date search narrows the rows in SQL on exactly
what it then compares. A session Bundle has none (its observations are dated by its
``sessions`` row).
"""

from __future__ import annotations

from typing import Any

DATED_TYPES = ("Observation", "QuestionnaireResponse", "AuditEvent")


def search_time(resource: dict[str, Any]) -> str:
    """An Observation's ``effectiveDateTime`` or ``effectivePeriod.start``, a
    QuestionnaireResponse's ``authored``, an AuditEvent's ``recorded``, as text."""
    rtype = resource.get("resourceType")
    if rtype == "QuestionnaireResponse":
        return str(resource.get("authored", ""))
    if rtype == "AuditEvent":
        return str(resource.get("recorded", ""))
    return observation_time(resource)


def observation_time(obs: dict[str, Any]) -> str:
    """An Observation's ``effectiveDateTime``, or else its ``effectivePeriod.start``."""
    return str(obs.get("effectiveDateTime") or obs.get("effectivePeriod", {}).get("start", ""))


def stored_time(resource: dict[str, Any]) -> str | None:
    """:func:`search_time` for the ``resources.at`` column; None (unknown: a search reads the
    row and checks it) for other types and for what the column cannot hold or the search
    could not read either (a NUL; a period that is no object)."""
    if resource.get("resourceType") not in DATED_TYPES:
        return None
    try:
        at = search_time(resource)
    except (AttributeError, TypeError):
        return None
    return None if "\x00" in at else at
