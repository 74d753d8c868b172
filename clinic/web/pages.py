"""The therapist's pages: caseload, patient, one session's reps and pain; the device label
form.
Every view or change of a patient's data is written to the web audit."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from clinic.web import notes, patient
from clinic.web.auth import page, require_user
from clinic.web.caseload import SORT_KEYS, sort_rows
from clinic.web.svg import Column, rom_chart
from clinic.web.visit_recording import list_recordings
from clinic.web_schema import web_labels
from exercises.catalogue import CATALOGUE
from mqtt.topics import valid_id

router = APIRouter()
LABEL_MAX = 80
PAGE_ROWS = 100  # caseload rows per page
API_ROWS_MAX = 1000  # the most /api/caseload answers at once


def _device(device: str) -> str:
    if not valid_id(device):
        raise HTTPException(404, "no such device")
    return device


def _refresh_notes(engine: object) -> None:
    try:
        notes.refresh(engine)  # type: ignore[arg-type]
    except IntegrityError:
        pass  # another process added the same notes at the same moment


@router.get("/", response_class=HTMLResponse)
def caseload(request: Request, sort: str = "newest", order: str = "desc",
             page_no: int = Query(1, alias="page", ge=1),
             actor: str = Depends(require_user)) -> HTMLResponse:
    """The caseload sorted over every device, shown PAGE_ROWS at a time (a clinic of a
    thousand kiosks is ten pages, newest activity or most alerts first)."""
    state = request.app.state
    _refresh_notes(state.engine)
    key = sort if sort in SORT_KEYS else "newest"
    order = "asc" if order == "asc" else "desc"  # echoed in the page's links
    rows = sort_rows(state.caseload.rows(), key, order != "asc")
    state.audit.record(actor, "view", "caseload")
    pages = max(1, -(-len(rows) // PAGE_ROWS))
    page_no = min(page_no, pages)
    start = (page_no - 1) * PAGE_ROWS
    return page(request, "caseload.html", rows=rows[start:start + PAGE_ROWS], sort=key,
                order=order, alerting=sum(1 for r in rows if r.alerts), total=len(rows),
                page_no=page_no, pages=pages, first_row=start + 1)


@router.get("/api/caseload")
def caseload_json(request: Request, sort: str = "newest", order: str = "desc",
                  limit: int = Query(PAGE_ROWS, ge=1), offset: int = Query(0, ge=0),
                  actor: str = Depends(require_user)) -> JSONResponse:
    """The caseload as JSON (for scripts and partial page updates); 401 without a login.
    ``limit`` rows (at most API_ROWS_MAX) from ``offset``; a ``Link: <...>; rel="next"``
    header while more follow."""
    state = request.app.state
    _refresh_notes(state.engine)
    rows = sort_rows(state.caseload.rows(), sort if sort in SORT_KEYS else "newest",
                     order != "asc")
    state.audit.record(actor, "view", "caseload (api)")
    limit = min(limit, API_ROWS_MAX)
    headers: dict[str, str] = {}
    if offset + limit < len(rows):
        nxt = request.url.include_query_params(offset=offset + limit, limit=limit)
        headers["Link"] = f'<{nxt}>; rel="next"'
    rows = rows[offset:offset + limit]
    return JSONResponse(headers=headers, content=[{
        "device": r.device, "label": r.label, "state": r.state,
        "last_contact": r.last_contact, "last_session": r.last_session,
        "days_done": r.days_done, "days_planned": r.days_planned,
        "alerts": [a._asdict() for a in r.alerts],
        "batteries": [{"segment": seg, "battery_pct": pct, "at": at}
                      for seg, pct, at in r.batteries]} for r in rows])


def exercise_name(exercise_id: str) -> str:
    """The catalogue's name (as the plan editor and the kiosk show it), else the id."""
    ex = CATALOGUE.get(exercise_id)
    return ex.name if ex is not None else exercise_id.replace("_", " ")


@router.get("/patients/{device}", response_class=HTMLResponse)
def patient_page(request: Request, device: str,
                 actor: str = Depends(require_user)) -> HTMLResponse:
    state = request.app.state
    view = patient.load(state.engine, state.caseload.plans, _device(device))
    charts = []
    for ex in view.exercises():
        cols = [Column(s.started_at[5:10], s.roms) for s in view.sessions if s.exercise == ex]
        target = view.target(ex)
        charts.append((ex, target, rom_chart(cols[-60:], target,
                                                 f"ROM per rep: {exercise_name(ex)}")))
    label = state.labels.get(device)
    _refresh_notes(state.engine)
    row = state.caseload.row(device)
    state.audit.record(actor, "view", f"patient {device}", device)
    return page(request, "patient.html", device=device, label=label, view=view, row=row,
                charts=charts,
                recent=list(reversed(view.sessions))[:patient.RECENT_SESSIONS],
                audit=state.audit.rows(device, limit=10),
                recordings=list_recordings(state, device))  # video visits (V1)


@router.get("/patients/{device}/sessions/{identifier:path}", response_class=HTMLResponse)
def session_page(request: Request, device: str, identifier: str,
                 actor: str = Depends(require_user)) -> HTMLResponse:
    state = request.app.state
    reps = patient.session_reps(state.engine, _device(device), identifier)
    if reps is None:
        raise HTTPException(404, "no such session")
    pain = patient.session_pain(state.engine, device, identifier)
    state.audit.record(actor, "view", f"session {identifier[:80]}", device)
    return page(request, "session.html", device=device, label=state.labels.get(device),
                identifier=identifier, reps=reps, pain=pain)


@router.post("/patients/{device}/label")
def set_label(request: Request, device: str, label: str = Form("", max_length=LABEL_MAX),
              actor: str = Depends(require_user)) -> Response:
    state = request.app.state
    device = _device(device)
    label = " ".join(label.split())
    with state.engine.begin() as conn:
        conn.execute(delete(web_labels).where(web_labels.c.device == device))
        if label:
            from datetime import datetime, timezone

            conn.execute(insert(web_labels).values(
                device=device, label=label, set_by=actor,
                set_at=datetime.now(timezone.utc).isoformat()))
    state.labels.clear()
    state.audit.record(actor, "change", f"label of {device}", device)
    return RedirectResponse(f"/patients/{device}", status_code=303)
