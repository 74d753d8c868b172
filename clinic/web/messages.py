"""Messages and appointments: read what the patient wrote, reply in free text, schedule,
move and cancel live sessions. Every reply and appointment is signed with the clinic key
for that one device (:mod:`therapy.clinic_items`) and sent on ``messages/in`` through
``rehab clinic serve``'s connection. A reply or appointment is stored just before it is
published (the device's ack, which marks a reply delivered, may come back before the
broker's PUBACK has woken this thread). When the publish certainly failed (no connection
to the broker, paho refused it at once) the change is undone and the page says so; when
the broker only did not confirm it in time it is kept (paho may still deliver it) and a
reply stays "not yet delivered" until the device acks it: :mod:`clinic.resender` sends
unacked replies and appointments again when the device comes online ("sent again
<time>"; an appointment's envelope is kept until the device acks it,
:mod:`clinic.downlink_items`). A move seals the same appointment id again with the new
time; a cancel seals it with ``cancelled``.
Views and changes go to the web audit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import case, delete, func, select

from clinic.downlink_items import keep, restore
from clinic.schema import appointments, messages
from clinic.web.auth import page, require_user
from clinic.web.pages import _device
from clinic.web.sending import SendError, send, signing_key
from therapy.clinic_items import MAX_MESSAGE_TEXT, MAX_MINUTES, seal_appointment, seal_message
from therapy.dates import check_time
from therapy.errors import PlanError
from therapy.records import new_id

router = APIRouter()
DONE = {"sent": "Message signed and sent.", "booked": "Appointment signed and sent.",
        "moved": "Appointment moved; the device has the new time.",
        "cancelled": "Appointment cancelled on the device.",
        "pending": "The broker did not confirm it yet: it is kept and shows 'not yet "
                   "delivered' until the device acks it; it is sent again when the device "
                   "comes online."}


class BadInput(ValueError):
    """A form field the therapist should correct (shown on the page, status 400)."""


def parse_start(text: str, now: datetime) -> datetime:
    """A start time from the form: ISO 8601; without an offset (the browser's
    ``datetime-local``) it is the clinic server's local time. Must lie ahead."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f"start {text[:40]!r}: use a date and time, e.g. "
                       "2026-12-01T10:00") from None
    if when.tzinfo is None:
        when = when.astimezone()  # the server's zone
    try:
        check_time(when, "start")
    except PlanError as exc:
        raise BadInput(str(exc)) from None
    if when <= now:
        raise BadInput("the start must be in the future")
    return when


def _minutes(minutes: int) -> int:
    if not 1 <= minutes <= MAX_MINUTES:
        raise BadInput(f"length must be 1..{MAX_MINUTES} minutes")
    return minutes


def thread(engine: Any, device: str) -> dict[str, Any]:
    m, a = messages.c, appointments.c
    with engine.connect() as conn:
        rows = conn.execute(select(m.id, m.direction, m.text, m.at, m.acked_at)
                            .where(m.device == device).order_by(m.at)).all()
        appts = conn.execute(select(a.id, a.start_at, a.minutes, a.started_at)
                             .where(a.device == device).order_by(a.start_at)).all()
    return {"messages": rows, "appointments": appts}


def _page(request: Request, device: str, status: int = 200, error: str = "",
          done: str = "", form: dict[str, str] | None = None) -> HTMLResponse:
    state = request.app.state
    zone = datetime.now().astimezone().strftime("%Z (UTC%z)")
    resender = getattr(state, "resender", None)
    return page(request, "messages.html", status, device=device,
                label=state.labels.get(device), zone=zone, error=error,
                sent_again=resender.sent_again() if resender is not None else {},
                done=DONE.get(done, ""), form=form or {}, max_text=MAX_MESSAGE_TEXT,
                max_minutes=MAX_MINUTES, **thread(state.engine, device))


@router.get("/messages", response_class=HTMLResponse)
def inbox(request: Request, actor: str = Depends(require_user)) -> HTMLResponse:
    """Every device with messages: the newest first, with how many came from the patient."""
    state, m = request.app.state, messages.c
    from_patient = func.sum(case((m.direction == "to_therapist", 1), else_=0))
    with state.engine.connect() as conn:
        rows = conn.execute(select(m.device, func.max(m.at), func.count(), from_patient)
                            .group_by(m.device).order_by(func.max(m.at).desc())).all()
    state.audit.record(actor, "view", "messages")
    return page(request, "inbox.html", rows=[
        {"device": d, "label": state.labels.get(d), "last": last, "count": n,
         "from_patient": int(fp or 0)} for d, last, n, fp in rows])


@router.get("/patients/{device}/messages", response_class=HTMLResponse)
def thread_page(request: Request, device: str, done: str = "",
                actor: str = Depends(require_user)) -> HTMLResponse:
    device = _device(device)
    request.app.state.audit.record(actor, "view", f"messages {device}", device)
    return _page(request, device, done=done)


@router.post("/patients/{device}/messages")
def reply(request: Request, device: str, text: str = Form("", max_length=MAX_MESSAGE_TEXT * 2),
          actor: str = Depends(require_user)) -> Response:
    device, state = _device(device), request.app.state
    text = text.strip()
    if not 0 < len(text) <= MAX_MESSAGE_TEXT:
        return _page(request, device, 400, error=f"a message is 1..{MAX_MESSAGE_TEXT} "
                     "characters", form={"text": text})
    ident, now = new_id(), datetime.now(timezone.utc)
    try:
        payload = seal_message(ident, text, now, signing_key(state.key_file),
                               clinic=state.clinic, device=device)
    except SendError as exc:
        return _page(request, device, 503, error=str(exc), form={"text": text})
    # stored before it is published: the device's ack may come back before this thread
    # resumes from the broker's PUBACK, and an ack finding no row is lost for good
    state.store.add_message(device, ident, "to_patient", text, now.isoformat())
    try:
        done = _publish(state, device, payload, "sent",
                        undo=lambda: _forget_message(state.engine, ident))
    except SendError as exc:
        return _page(request, device, 503, error=str(exc), form={"text": text})
    state.audit.record(actor, "change", f"message {ident} to {device}", device)
    return RedirectResponse(f"/patients/{device}/messages?done={done}", status_code=303)


def _publish(state: Any, device: str, payload: bytes, done: str,
             undo: Callable[[], None]) -> str:
    """Publish a change already stored (so the device's ack finds it). Returns ``done``
    when the broker confirmed it, "pending" when it may still arrive (kept: paho holds it,
    and the resend covers it if not); a send that certainly failed runs ``undo`` and
    raises :class:`SendError`."""
    try:
        send(state, device, "messages/in", payload)
    except SendError as exc:
        if not exc.maybe_sent:
            undo()
            raise
        return "pending"
    return done


def _forget_message(engine: Any, ident: str) -> None:
    """A reply the broker did not take: not kept (the page offers its text again)."""
    with engine.begin() as conn:
        conn.execute(delete(messages).where(messages.c.id == ident))


def _seal(request: Request, device: str, ident: str, start: datetime, minutes: int,
          cancelled: bool = False) -> Any:
    """Seal the appointment (or its cancellation) and keep the envelope until the device
    acks it (clinic.downlink_items, for the resend); returns what :func:`restore` needs."""
    state = request.app.state
    now = datetime.now(timezone.utc)
    payload = seal_appointment(ident, start, minutes, signing_key(state.key_file),
                               clinic=state.clinic, device=device, issued_at=now,
                               cancelled=cancelled)
    kept = keep(state.engine, ident, device, "cancelled" if cancelled else "appointment",
                payload, now)
    return payload, kept


@router.post("/patients/{device}/appointments")
def book(request: Request, device: str, start: str = Form("", max_length=64),
         minutes: int = Form(30), actor: str = Depends(require_user)) -> Response:
    return _schedule(request, _device(device), None, start, minutes, actor)


@router.post("/patients/{device}/appointments/{ident}/move")
def move(request: Request, device: str, ident: str, start: str = Form("", max_length=64),
         minutes: int = Form(30), actor: str = Depends(require_user)) -> Response:
    return _schedule(request, _device(device), _known(request, device, ident)[0], start,
                     minutes, actor)


def _known(request: Request, device: str, ident: str) -> tuple[str, str, int]:
    from fastapi import HTTPException

    a = appointments.c
    with request.app.state.engine.connect() as conn:
        row = conn.execute(select(a.id, a.start_at, a.minutes)
                           .where(a.id == ident, a.device == device)).first()
    if row is None:
        raise HTTPException(404, "no such appointment for this device")
    return row[0], row[1], row[2]


def _schedule(request: Request, device: str, ident: str | None, start_text: str,
              minutes: int, actor: str) -> Response:
    state = request.app.state
    form = {"start": start_text, "minutes": str(minutes)}
    try:
        start = parse_start(start_text, datetime.now(timezone.utc))
        _minutes(minutes)
    except BadInput as exc:
        return _page(request, device, 400, error=str(exc), form=form)
    new = ident is None
    before = None if ident is None else _known(request, device, ident)
    ident = ident or new_id()
    try:
        payload, kept = _seal(request, device, ident, start, minutes)
    except SendError as exc:
        return _page(request, device, 503, error=str(exc), form=form)
    # stored before it is published, like a reply: the device's ack finds it
    state.store.add_appointment(ident, device, start.isoformat(), minutes)

    def undo() -> None:  # certainly not sent: as it was before
        _undo_schedule(state, device, ident, before)
        restore(state.engine, ident, kept)

    try:
        done = _publish(state, device, payload, "booked" if new else "moved", undo)
    except SendError as exc:
        return _page(request, device, 503, error=str(exc), form=form)
    state.audit.record(actor, "change", f"appointment {ident} {'booked' if new else 'moved'}"
                       f" to {start.isoformat()} ({minutes} min)", device)
    return RedirectResponse(f"/patients/{device}/messages?done={done}", status_code=303)


def _undo_schedule(state: Any, device: str, ident: str,
                   before: tuple[str, str, int] | None) -> None:
    if before is None:
        with state.engine.begin() as conn:
            conn.execute(delete(appointments).where(appointments.c.id == ident))
    else:
        state.store.add_appointment(ident, device, before[1], before[2])


@router.post("/patients/{device}/appointments/{ident}/cancel")
def cancel(request: Request, device: str, ident: str,
           actor: str = Depends(require_user)) -> Response:
    device, state = _device(device), request.app.state
    ident, start_at, minutes = _known(request, device, ident)
    try:
        payload, kept = _seal(request, device, ident, datetime.fromisoformat(start_at),
                              minutes, cancelled=True)
    except SendError as exc:
        return _page(request, device, 503, error=str(exc))
    with state.engine.begin() as conn:  # before it is published, like a booking
        conn.execute(delete(appointments).where(appointments.c.id == ident))

    def undo() -> None:  # certainly not sent: the appointment stands
        state.store.add_appointment(ident, device, start_at, minutes)
        restore(state.engine, ident, kept)

    try:
        done = _publish(state, device, payload, "cancelled", undo)
    except SendError as exc:
        return _page(request, device, 503, error=str(exc))
    state.audit.record(actor, "change", f"appointment {ident} cancelled", device)
    return RedirectResponse(f"/patients/{device}/messages?done={done}", status_code=303)
