"""FHIR R4 REST read API for EHR integration: searchset Bundles of what devices sent.

- ``GET /fhir/Observation?code=SYSTEM|CODE&subject=DEVICE&date=geYYYY-MM-DD`` — pain
  ratings (LOINC 72514-3) are stored as Observations; session summaries (SNOMED
  229065009) and per-rep ROM (SNOMED 364564000) are taken out of the session Bundles.
- ``GET /fhir/QuestionnaireResponse?subject=...&authored=ge...``
- ``GET /fhir/AuditEvent?subject=...&date=ge...`` (the devices' security events)
- ``GET /fhir/{type}/{id}``: one resource, at the ``fullUrl`` its search entry names
- ``GET /fhir/metadata``: the CapabilityStatement (no login)

``subject`` is a device id, ``Device/ID`` or ``urn:rehab-kiosk:device|ID``; date
parameters take the FHIR prefixes eq, ge, gt, le, lt on a date or dateTime, and may repeat.
``_count`` (default 100) with ``_offset`` pages, FHIR R4 paging: a ``_count`` above 1,000 is
answered with 1,000 (the server may return fewer than asked; ``self`` says how many it
used), ``link`` names the ``first``, ``previous`` and ``next`` pages; ``total`` is given on
the last page (the search reads only as far as the page it answers, so ``_offset`` stops at
10,000: narrow a larger search by subject or date). Subject, date and code narrow the rows
in the database (clinic/fhir_query.py), so a search since yesterday reads a day of records.
Responses are ``application/fhir+json``; a login session or an integration token is needed.
A search is strict: a parameter the type does not support (``patient``, ``_sort``,
``_summary``...), a non-date parameter given twice or a comma OR-list is answered 400 with an
OperationOutcome naming it, never ignored (an ignored ``patient=`` would hand an EHR every
patient's data). Every error under ``/fhir`` (a bad ``_count``, an unknown path, a method
the API does not take) is an OperationOutcome too.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exception_handlers import (http_exception_handler,
                                        request_validation_exception_handler)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from clinic import fhir_query as fq
from clinic.fhir_query import SearchError
from clinic.web.auth import require_reader
from mqtt.topics import valid_id
from therapy.fhir import DEVICE_ID_SYSTEM

router = APIRouter(prefix="/fhir")
FHIR_JSON = "application/fhir+json"
COUNT_MAX = 1000
OFFSET_MAX = 10_000  # a page costs the rows before it: deeper searches narrow by date


def _outcome(status: int, text: str, code: str = "invalid",
             headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": code, "diagnostics": text}]},
        status_code=status, media_type=FHIR_JSON, headers=headers)


PAGING = {"_count", "_offset"}
PARAMS = {"Observation": {"code", "subject", "date"} | PAGING,
          "QuestionnaireResponse": {"subject", "authored"} | PAGING,
          "AuditEvent": {"subject", "date"} | PAGING}
REPEATABLE = {"date", "authored"}  # each a bound: ge.. and le.. together
FORMATS = {"json", "application/json", "application/fhir+json"}


def _strict(request: Request, rtype: str) -> None:
    """Refuse what the search would otherwise silently not do (SearchError: 400)."""
    allowed = PARAMS[rtype]
    items = request.query_params.multi_items()
    for key, value in items:
        if key == "_format":
            if value not in FORMATS:
                raise SearchError(f"_format {value[:40]!r}: this server answers JSON only")
            continue
        if key not in allowed:
            raise SearchError(f"{rtype} does not support the parameter {key[:40]!r}; "
                              f"it takes {', '.join(sorted(allowed))}")
        if key not in REPEATABLE and sum(k == key for k, _v in items) > 1:
            raise SearchError(f"{key} is given more than once: give it once")
        if key in ("code", "subject") and "," in value:
            raise SearchError(f"{key}: one value (OR lists are not supported): search once "
                              "per value")


def add_error_handlers(app: FastAPI) -> None:
    """Errors under /fhir as OperationOutcomes (FastAPI's own JSON elsewhere)."""

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        where = "; ".join(f"{'.'.join(str(x) for x in e.get('loc', ())[1:])}: {e.get('msg')}"
                          for e in exc.errors())
        if request.url.path.startswith("/fhir"):
            return _outcome(400, where[:300])
        return await request_validation_exception_handler(request, exc)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not-found", 405: "not-supported"}.get(exc.status_code, "processing")
        if request.url.path.startswith("/fhir"):
            return _outcome(exc.status_code, str(exc.detail), code,
                            getattr(exc, "headers", None))
        return await http_exception_handler(request, exc)

    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(HTTPException, http_error)


def subject_device(value: str | None) -> str | None:
    if value is None:
        return None
    for prefix in ("Device/", f"{DEVICE_ID_SYSTEM}|"):
        value = value.removeprefix(prefix)
    if not valid_id(value):
        raise SearchError(f"subject {value[:80]!r} is not a device id")
    return value


def _searchset(request: Request, found: list[dict[str, Any]], offset: int, count: int,
               more: bool) -> JSONResponse:
    """``found``: the matches up to this page's end (plus one if ``more``)."""
    page_ = found[offset:offset + count]

    def at(off: int) -> dict[str, str]:
        return {"url": str(request.url.include_query_params(_offset=off, _count=count))}

    links = [{"relation": "self", **at(offset)}, {"relation": "first", **at(0)}]
    if offset > 0:
        links.append({"relation": "previous", **at(max(0, offset - count))})
    if more and offset + count <= OFFSET_MAX:
        links.append({"relation": "next", **at(offset + count)})
    base = str(request.base_url).rstrip("/") + "/fhir"
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "link": links}
    if not more:  # every match was read: the total is known without counting the rest
        bundle["total"] = len(found)
    bundle["entry"] = [{"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r,
                        "search": {"mode": "match"}} for r in page_]
    return JSONResponse(bundle, media_type=FHIR_JSON)


def _search(request: Request, actor: str, rtype: str, subject: str | None,
            dates: list[str], date_of: Any, code: str | None, offset: int,
            count: int) -> JSONResponse:
    try:
        _strict(request, rtype)
        device = subject_device(subject)
        filters = fq.date_filters(dates)
        if offset > OFFSET_MAX:
            raise SearchError(f"_offset is at most {OFFSET_MAX:,}: narrow the search by "
                              "subject or date (e.g. date=ge2026-11-01)")
    except SearchError as exc:
        return _outcome(400, str(exc))
    count = min(count, COUNT_MAX)  # FHIR: the server may return fewer than asked
    wanted = fq.parse_code(code)
    with request.app.state.engine.connect() as conn:
        # the database narrows by subject, date and code (clinic/fhir_query.py); each
        # resource read is checked against the search here, which is its meaning
        want = offset + count + 1
        source = fq.observations(conn, device, wanted, filters, want) \
            if rtype == "Observation" else fq.of_type(conn, rtype, device, filters, want)
        matches = (r for r in source
                   if (wanted is None or rtype != "Observation" or fq.has_code(r, wanted))
                   and fq.date_ok(date_of(r), filters))
        # read only as far as this page (and one more to know there is a next page): a
        # search over the whole clinic costs a page, not the database
        found = list(islice(matches, want))
        matches.close()
        source.close()
    more = len(found) > offset + count
    request.app.state.audit.record(actor, "view", f"fhir {rtype}"[:80], device)
    return _searchset(request, found[:offset + count], offset, count, more)


@router.get("/Observation")
def observation(request: Request, code: str | None = None, subject: str | None = None,
                date: list[str] = Query([]), _count: int = Query(100, ge=1),
                _offset: int = Query(0, ge=0), actor: str = Depends(require_reader)
                ) -> JSONResponse:
    return _search(request, actor, "Observation", subject, date, fq.obs_date, code,
                   _offset, _count)


@router.get("/QuestionnaireResponse")
def questionnaire_response(request: Request, subject: str | None = None,
                           authored: list[str] = Query([]),
                           _count: int = Query(100, ge=1),
                           _offset: int = Query(0, ge=0),
                           actor: str = Depends(require_reader)) -> JSONResponse:
    return _search(request, actor, "QuestionnaireResponse", subject, authored,
                   lambda r: str(r.get("authored", "")), None, _offset, _count)


@router.get("/AuditEvent")
def audit_event(request: Request, subject: str | None = None, date: list[str] = Query([]),
                _count: int = Query(100, ge=1), _offset: int = Query(0, ge=0),
                actor: str = Depends(require_reader)) -> JSONResponse:
    return _search(request, actor, "AuditEvent", subject, date,
                   lambda r: str(r.get("recorded", "")), None, _offset, _count)


@router.get("/metadata")
def metadata(request: Request) -> JSONResponse:
    """The CapabilityStatement (no login: it holds no patient data): what an EHR may ask."""
    params = {"code": ("token", "system|code, or a code alone"),
              "subject": ("reference", "a device id, Device/ID or urn:rehab-kiosk:device|ID"),
              "date": ("date", "eq, ge, gt, le, lt on a date or dateTime (UTC if no zone)"),
              "authored": ("date", "as date, on when it was answered")}
    resources = [{"type": rtype, "interaction": [{"code": "read"}, {"code": "search-type"}],
                  "searchParam": [{"name": name, "type": params[name][0],
                                   "documentation": params[name][1]}
                                  for name in sorted(allowed - PAGING)]}
                 for rtype, allowed in PARAMS.items()]
    return JSONResponse({
        "resourceType": "CapabilityStatement", "status": "active", "kind": "instance",
        "date": "2026-11-30", "fhirVersion": "4.0.1", "format": ["json"],
        "software": {"name": "rehab-kiosk clinic server"},
        "implementation": {"description": "rehab-kiosk clinic FHIR read API",
                           "url": str(request.base_url).rstrip("/") + "/fhir"},
        "rest": [{"mode": "server", "documentation": (
            "Read-only. A login session or an integration token (Authorization: Bearer; "
            "rehab clinic token add). Searches page with _count (at most 1,000) and _offset; "
            "a parameter a type does not take is refused (400), never ignored."),
            "security": {"description": "Bearer token or login session"},
            "resource": resources}]}, media_type=FHIR_JSON)


@router.get("/{rtype}/{ident}")
def read(request: Request, rtype: str, ident: str,
         actor: str = Depends(require_reader)) -> JSONResponse:
    """One resource by the id its search entry's ``fullUrl`` names."""
    if rtype not in PARAMS:
        return _outcome(404, f"no resource type {rtype[:40]!r} here: "
                             f"{', '.join(PARAMS)}")
    with request.app.state.engine.connect() as conn:
        found = fq.read(conn, rtype, ident)
    if found is None:
        return _outcome(404, f"no {rtype} {ident[:64]!r}", "not-found")
    device, resource = found
    request.app.state.audit.record(actor, "view", f"fhir {rtype} read"[:80], device)
    return JSONResponse(resource, media_type=FHIR_JSON)
