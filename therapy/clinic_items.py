"""Therapist messages and appointments as the clinic signs them (pure: no I/O).

The clinic seals each one for one device (:func:`seal_message`, :func:`seal_appointment`,
format in :mod:`therapy.signing`); the device opens it with :func:`open_clinic_item`,
which verifies the envelope and validates the fields: ids 1-64 characters, text at most
:data:`MAX_MESSAGE_TEXT`, times in sane years (:mod:`therapy.dates`), 1..600 minutes.
An appointment is moved by sealing it again with the same id and a new time (the device
replaces it) and cancelled by sealing it with ``cancelled=True`` (the device removes it;
the time and length are still sent, so a device older than cancelling keeps it unchanged
rather than refusing the envelope).
Every refusal is a :class:`~therapy.errors.PlanRejected` with a short code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from therapy.dates import check_time, parse_time
from therapy.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from therapy.errors import PlanError, PlanRejected
from therapy.records import Appointment, Direction, Message
from therapy.signing import Kind, RejectCode, open_signed, seal_body

MAX_MESSAGE_TEXT = 4000
MAX_MINUTES = 600
MESSAGE_MAX_BYTES = 32 * 1024  # 4000 characters of up to 4 UTF-8 bytes, header, escapes
ID_MAX = 64


@dataclass(frozen=True, slots=True)
class AppointmentCancelled:
    """The clinic cancelled the appointment ``id``."""

    id: str


def seal_message(ident: str, text: str, at: datetime, key: Ed25519PrivateKey, *,
                 clinic: str, device: str) -> bytes:
    fields = {"id": ident, "text": text, "at": check_time(at, "at").isoformat()}
    return seal_body(Kind.MESSAGE, fields, key, clinic=clinic, device=device, issued_at=at)


def seal_appointment(ident: str, start_at: datetime, minutes: int, key: Ed25519PrivateKey,
                     *, clinic: str, device: str, issued_at: datetime,
                     cancelled: bool = False) -> bytes:
    fields: dict[str, Any] = {"id": ident,
                              "start_at": check_time(start_at, "start_at").isoformat(),
                              "minutes": minutes}
    if cancelled:
        fields["cancelled"] = True
    return seal_body(Kind.APPOINTMENT, fields, key, clinic=clinic, device=device,
                     issued_at=issued_at)


def check_minutes(minutes: Any, field: str = "minutes") -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int) \
            or not 1 <= minutes <= MAX_MINUTES:
        raise PlanError(f"must be an integer 1..{MAX_MINUTES}, got {minutes!r:.20}", field)
    return minutes


def open_clinic_item(raw: bytes, key: Ed25519PublicKey, *, clinic: str, device: str,
                     now: datetime) -> Message | Appointment | AppointmentCancelled:
    """A verified therapist message (acknowledged at ``now``), appointment or
    cancellation."""
    signed = open_signed(raw, key, kinds=(Kind.MESSAGE, Kind.APPOINTMENT), clinic=clinic,
                         device=device, now=now)
    try:
        ident = _id(signed.body)
        if signed.kind == Kind.MESSAGE:
            text = signed.body.get("text")
            if not isinstance(text, str) or len(text) > MAX_MESSAGE_TEXT:
                raise PlanError(f"must be text of at most {MAX_MESSAGE_TEXT} characters",
                                "text")
            at = signed.body.get("at")
            return Message(ident, Direction.TO_PATIENT, text,
                           signed.issued_at if at is None else parse_time(at, "at"),
                           acked_at=now)
        cancelled = signed.body.get("cancelled", False)
        if not isinstance(cancelled, bool):
            raise PlanError(f"must be true or false, got {cancelled!r:.20}", "cancelled")
        if cancelled:
            return AppointmentCancelled(ident)
        return Appointment(ident, parse_time(signed.body.get("start_at"), "start_at"),
                           check_minutes(signed.body.get("minutes")))
    except PlanError as exc:
        raise PlanRejected(RejectCode.INVALID, f"invalid {signed.kind}: {exc}") from exc


def _id(body: Mapping[str, Any]) -> str:
    ident = body.get("id")
    if not isinstance(ident, str) or not 0 < len(ident) <= ID_MAX:
        raise PlanError(f"must be text of 1..{ID_MAX} characters", "id")
    return ident
