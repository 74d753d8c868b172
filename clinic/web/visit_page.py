"""The video visit page (issue 16): the browser side of the WebRTC call to the kiosk.

``GET /patients/{device}/appointments/{id}/visit`` opens for a scheduled (not cancelled)
appointment of that device; the call may start from :data:`mqtt.visit.EARLY_JOIN` before
the start to its end, as the kiosk allows. The page's script (static/visit.js) takes the
camera and microphone (``getUserMedia``), makes its offer with every candidate in the SDP
and POSTs it to ``.../visit/offer``; the server signs it and sends it to the kiosk through
:class:`clinic.visit.ClinicVisitRelay` (``rehab clinic serve`` makes one on first use, its
own broker login ``<user>-visit``). The page polls ``.../visit/{call}/state`` for the
kiosk's answer and state; cues (slower, hold, free text) and hang-up are POSTs. The live
reps of that device show beside the video (the live stream narrowed to it). Every offer,
cue and hang-up is written to the web audit. Recording, only with the patient's yes on the
kiosk and stored only here: :mod:`clinic.web.visit_recording` (its routes join this
router).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy import select

from clinic.errors import ClinicError
from clinic.schema import appointments, devices
from clinic.web.auth import page, require_user
from clinic.web.live_page import running
from clinic.web.pages import _device
from clinic.web.visit_start import start_blocked
from mqtt.visit import CUE_TEXT_MAX_CHARS, EARLY_JOIN, SDP_MAX_CHARS, CueKind

router = APIRouter()
BASE = "/patients/{device}/appointments/{ident}/visit"


def _appointment(request: Request, device: str, ident: str) -> tuple[datetime, int, str | None]:
    """(start, minutes, started_at) of this device's appointment; 404 for any other."""
    a = appointments.c
    with request.app.state.engine.connect() as conn:
        row = conn.execute(select(a.start_at, a.minutes, a.started_at)
                           .where(a.id == ident, a.device == _device(device))).first()
    if row is None:
        raise HTTPException(404, "no such appointment for this patient")
    start = datetime.fromisoformat(row[0])
    if start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    return start, int(row[1]), row[2]


def window(start: datetime, minutes: int, now: datetime) -> str:
    """'' while a call may start (as the kiosk checks it), else why not."""
    if now < start - EARLY_JOIN:
        opens = (start - EARLY_JOIN).astimezone().strftime("%Y-%m-%d %H:%M")
        return f"The visit can start from {opens} (15 minutes before the appointment)."
    if now > start + timedelta(minutes=minutes):
        return "This appointment is over: book a new one to call the patient."
    return ""


@router.get(BASE, response_class=HTMLResponse)
def visit(request: Request, device: str, ident: str,
          actor: str = Depends(require_user)) -> HTMLResponse:
    state = request.app.state
    start, minutes, _started = _appointment(request, device, ident)
    state.audit.record(actor, "view", f"visit page, appointment {ident}", device)
    closed = window(start, minutes, datetime.now(timezone.utc))
    with state.engine.connect() as conn:  # the kiosk's last reported state, if any
        kiosk = conn.execute(select(devices.c.state)
                             .where(devices.c.device == _device(device))).scalar()
    return page(request, "visit.html", device=device, label=state.labels.get(device),
                ident=ident, start=start.astimezone().strftime("%Y-%m-%d %H:%M"),
                minutes=minutes, closed=closed, sets=running(state, device),
                cue_max=CUE_TEXT_MAX_CHARS, no_relay=state.visit is None, ice=state.ice,
                why=start_blocked(closed, state.visit is None, kiosk))


def _fail(status: int, error: str) -> JSONResponse:
    return JSONResponse({"error": error}, status_code=status)


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise HTTPException(400, "send a JSON object")
    return body


def _relay(request: Request) -> Any:
    factory = request.app.state.visit
    if factory is None:
        raise HTTPException(503, "video visits are not set up on this server (rehab clinic "
                                 "serve makes the relay)")
    try:
        return factory()
    except ClinicError as exc:  # clinic.visit.VisitCallFailed, a key that cannot be read
        raise HTTPException(503, str(exc)) from exc


@router.post(BASE + "/offer")
async def offer(request: Request, device: str, ident: str,
                actor: str = Depends(require_user)) -> JSONResponse:
    start, minutes, _started = _appointment(request, device, ident)
    closed = window(start, minutes, datetime.now(timezone.utc))
    if closed:
        return _fail(409, closed)
    sdp = (await _json(request)).get("sdp")
    if not isinstance(sdp, str) or not 0 < len(sdp) <= SDP_MAX_CHARS:
        return _fail(400, f"the offer must be an SDP of at most {SDP_MAX_CHARS} characters")
    relay = _relay(request)
    try:
        call = relay.offer(device, ident, sdp)
    except ClinicError as exc:
        return _fail(503, str(exc))
    request.app.state.audit.record(actor, "change", f"video visit {call.call} offered, "
                                   f"appointment {ident}", device)
    return JSONResponse({"call": call.call})


def _call(request: Request, device: str, ident: str, call: str) -> tuple[Any, Any]:
    relay = _relay(request)
    c = relay.calls.get(call)
    if c is None or c.device != device or c.appointment != ident:
        raise HTTPException(404, "no such call")
    return relay, c


@router.get(BASE + "/{call}/state")
def call_state(request: Request, device: str, ident: str, call: str,
               actor: str = Depends(require_user)) -> JSONResponse:
    c = _call(request, _device(device), ident, call)[1]
    body = {"state": c.state, "reason": c.reason, "answer": c.answer}
    if c.record_asked_at is not None:  # recording: asking, recording, declined, stopped
        answer_audit(request, actor, device, c)
        body.update(recording=c.recording(), stopped_by=c.record_stopped_by)
    return JSONResponse(body)


@router.post(BASE + "/{call}/cue")
async def cue(request: Request, device: str, ident: str, call: str,
              actor: str = Depends(require_user)) -> JSONResponse:
    relay = _call(request, _device(device), ident, call)[0]
    body = await _json(request)
    try:
        kind = CueKind(str(body.get("cue", "")))
    except ValueError:
        return _fail(400, "cue must be slower, hold or text")
    text = str(body.get("text", "")).strip() if kind == CueKind.TEXT else ""
    if kind == CueKind.TEXT and not 0 < len(text) <= CUE_TEXT_MAX_CHARS:
        return _fail(400, f"a cue is 1..{CUE_TEXT_MAX_CHARS} characters")
    try:
        relay.cue(device, call, kind, text)
    except ClinicError as exc:
        return _fail(503, str(exc))
    request.app.state.audit.record(actor, "change", f"video visit {call} cue {kind}"
                                   + (f": {text}" if text else ""), device)
    return JSONResponse({"sent": True})


@router.post(BASE + "/{call}/hangup")
def hang_up(request: Request, device: str, ident: str, call: str,
            actor: str = Depends(require_user)) -> JSONResponse:
    relay = _call(request, _device(device), ident, call)[0]
    try:
        relay.hang_up(device, call, "the therapist ended the visit")
    except ClinicError as exc:
        return _fail(503, str(exc))
    request.app.state.audit.record(actor, "change", f"video visit {call} hung up", device)
    return JSONResponse({"sent": True})


from clinic.web.visit_recording import answer_audit  # noqa: E402  (it imports _call above)
from clinic.web.visit_recording import router as _recording  # noqa: E402

router.include_router(_recording)
