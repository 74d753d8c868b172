"""Virtual visit signalling over the clinic link (pure: no I/O library).

Leaves ``visit/in`` (clinic -> device) and ``visit/out`` (device -> clinic), QoS 1, not
retained, under the same ACL as the rest of the link (docs/visits.md)::

    visit/in   signed envelope, kind "visit": {"call", "appointment", "sdp"}   the call offer
               {"type": "ice", "call", "candidate", "sdp_mid", "sdp_mline_index"}
               {"type": "cue", "call", "cue": "slower"|"hold"|"text", "text"}
               {"type": "hangup", "call", "reason"}
               {"type": "record_request", "call"}
               {"type": "record_stop", "call"}          the therapist stopped recording
    visit/out  {"type": "answer", "call", "sdp"}
               {"type": "refused", "call", "code", "reason"}
               {"type": "state", "call", "state", "reason"}
               {"type": "hangup", "call", "reason"}
               {"type": "record_consent", "call", "granted"}
               {"type": "record_stop", "call"}          the patient stopped the recording
               {"type": "ice", ...}

The offer is the only message that starts anything (camera and microphone after the
patient's consent), so it travels signed (:mod:`therapy.signing`, kind ``visit``) and
names the clinic, the device and the appointment; :func:`open_offer` refuses an offer for
another device, an appointment this device does not hold, or one outside its window
(:data:`EARLY_JOIN` before the start to the end), each with a :class:`RefuseCode` the
device sends back. The other messages only act on the call an accepted offer opened
(its unguessable id), so they are plain JSON. Every payload is checked as
:mod:`mqtt.inbound` checks: size before a byte is parsed, then JSON bounds, then fields.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from mqtt.errors import LinkError
from mqtt.inbound import InboundRejected, Reject, decode
from mqtt.topics import valid_id
from therapy.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from therapy.errors import PlanRejected
from therapy.records import Appointment
from therapy.signing import Kind, open_signed, seal_body

KIB = 1024
SDP_MAX_CHARS = 32 * KIB  # a browser offer with audio + video and its candidates: ~6 KB
VISIT_MAX_BYTES = 2 * SDP_MAX_CHARS + 4 * KIB  # sdp escaped inside the signed body, header
CANDIDATE_MAX_CHARS = 512
REASON_MAX_CHARS = 200
CUE_TEXT_MAX_CHARS = 120  # a banner line the patient can read at a glance
EARLY_JOIN = timedelta(minutes=15)  # a call may open this long before the appointment
OFFER_MAX_AGE = timedelta(seconds=60)  # an offer queued while the kiosk was off rings no more
CONNECT_TIMEOUT_S = 15.0  # "cannot connect" is said on both sides within this
RECORD_ANSWER_S = 30.0  # a record request not answered by then is a no (both sides)


class VisitType(StrEnum):
    OFFER = "offer"
    ICE = "ice"
    CUE = "cue"
    HANGUP = "hangup"
    RECORD_REQUEST = "record_request"
    ANSWER = "answer"
    REFUSED = "refused"
    STATE = "state"
    RECORD_CONSENT = "record_consent"
    RECORD_STOP = "record_stop"


class CueKind(StrEnum):
    SLOWER = "slower"
    HOLD = "hold"
    TEXT = "text"


CUE_WORDS = {CueKind.SLOWER: "Slower", CueKind.HOLD: "Hold"}


class CallState(StrEnum):
    RINGING = "ringing"  # consent prompt on the kiosk
    DECLINED = "declined"  # the patient said no
    CONNECTED = "connected"
    FAILED = "failed"  # could not connect (reason says why)


class RefuseCode(StrEnum):
    """Why the device refused an offer (also the signing codes: bad_signature ...)."""

    UNSCHEDULED = "unscheduled"  # no such appointment on this device
    OUTSIDE_WINDOW = "outside_window"
    BUSY = "busy"  # another call is running
    STALE = "stale_offer"  # issued more than OFFER_MAX_AGE ago (queued while the kiosk was off)
    INVALID = "invalid"


class VisitRefused(LinkError):
    """An offer the device will not take; ``code`` and the message go back to the clinic."""

    def __init__(self, code: str, reason: str, call: str | None) -> None:
        super().__init__(f"{code}: {reason}")
        self.code, self.reason, self.call = code, reason, call


@dataclass(frozen=True, slots=True)
class Offer:
    call: str
    appointment: str
    sdp: str
    clinic: str
    device: str
    issued_at: datetime


@dataclass(frozen=True, slots=True)
class Ice:
    call: str
    candidate: str  # "candidate:..." line; empty: end of candidates
    sdp_mid: str | None
    sdp_mline_index: int | None


@dataclass(frozen=True, slots=True)
class Cue:
    call: str
    cue: CueKind
    text: str = ""

    @property
    def words(self) -> str:
        """What the banner shows and the speaker says."""
        return self.text if self.cue == CueKind.TEXT else CUE_WORDS[self.cue]


@dataclass(frozen=True, slots=True)
class HangUp:
    call: str
    reason: str


@dataclass(frozen=True, slots=True)
class RecordRequest:
    call: str


@dataclass(frozen=True, slots=True)
class RecordStop:
    """Recording ends: the therapist stopped it (``visit/in``) or the patient (``visit/out``)."""

    call: str


@dataclass(frozen=True, slots=True)
class Answer:
    call: str
    sdp: str


@dataclass(frozen=True, slots=True)
class Refused:
    call: str | None
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class StateReport:
    call: str
    state: CallState
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RecordConsent:
    call: str
    granted: bool


Inbound = Ice | Cue | HangUp | RecordRequest | RecordStop
Outbound = Answer | Refused | StateReport | HangUp | RecordConsent | RecordStop | Ice


# --- encoding ---------------------------------------------------------------------------
def seal_offer(call: str, appointment: str, sdp: str, key: Ed25519PrivateKey, *, clinic: str,
               device: str, issued_at: datetime) -> bytes:
    """The signed call offer (clinic side)."""
    for name, value in (("call", call), ("appointment", appointment)):
        if not valid_id(value):
            raise ValueError(f"{name} id must be 1-64 of A-Z a-z 0-9 _ . -")
    if not sdp or len(sdp) > SDP_MAX_CHARS:
        raise ValueError(f"sdp must be 1..{SDP_MAX_CHARS} characters")
    return seal_body(Kind.VISIT, {"call": call, "appointment": appointment, "sdp": sdp}, key,
                     clinic=clinic, device=device, issued_at=issued_at)


def encode(msg: Inbound | Outbound) -> bytes:
    """The JSON payload of any message but the offer."""
    body: dict[str, Any]
    if isinstance(msg, Ice):
        body = {"type": "ice", "call": msg.call, "candidate": msg.candidate,
                "sdp_mid": msg.sdp_mid, "sdp_mline_index": msg.sdp_mline_index}
    elif isinstance(msg, Cue):
        body = {"type": "cue", "call": msg.call, "cue": str(msg.cue), "text": msg.text}
    elif isinstance(msg, HangUp):
        body = {"type": "hangup", "call": msg.call, "reason": msg.reason[:REASON_MAX_CHARS]}
    elif isinstance(msg, RecordRequest):
        body = {"type": "record_request", "call": msg.call}
    elif isinstance(msg, RecordStop):
        body = {"type": "record_stop", "call": msg.call}
    elif isinstance(msg, Answer):
        body = {"type": "answer", "call": msg.call, "sdp": msg.sdp}
    elif isinstance(msg, Refused):
        body = {"type": "refused", "call": msg.call, "code": msg.code,
                "reason": msg.reason[:REASON_MAX_CHARS]}
    elif isinstance(msg, StateReport):
        body = {"type": "state", "call": msg.call, "state": str(msg.state),
                "reason": msg.reason[:REASON_MAX_CHARS]}
    else:
        body = {"type": "record_consent", "call": msg.call, "granted": msg.granted}
    return json.dumps(body, separators=(",", ":")).encode()


# --- field checks -----------------------------------------------------------------------
def _bad(detail: str) -> InboundRejected:
    return InboundRejected(Reject.BAD_FIELD, detail)


def _call(body: Mapping[str, Any], name: str = "call") -> str:
    value = body.get(name)
    if not isinstance(value, str) or not valid_id(value):
        raise _bad(f"{name} must be 1-64 of A-Z a-z 0-9 _ . -")
    return value


def _text(body: Mapping[str, Any], name: str, max_len: int, *, empty: bool = True) -> str:
    value = body.get(name, "")
    if not isinstance(value, str) or len(value) > max_len or (not empty and not value):
        raise _bad(f"{name} must be text of {0 if empty else 1}..{max_len} characters")
    return value


def _sdp(body: Mapping[str, Any]) -> str:
    sdp = _text(body, "sdp", SDP_MAX_CHARS, empty=False)
    if not sdp.startswith("v=0"):
        raise _bad("sdp must be a session description (starting v=0)")
    return sdp


def _ice(body: Mapping[str, Any]) -> Ice:
    cand = _text(body, "candidate", CANDIDATE_MAX_CHARS)
    mid, index = body.get("sdp_mid"), body.get("sdp_mline_index")
    if mid is not None and (not isinstance(mid, str) or len(mid) > 32):
        raise _bad("sdp_mid must be a short string or null")
    if index is not None and (isinstance(index, bool) or not isinstance(index, int)
                              or not 0 <= index < 64):
        raise _bad("sdp_mline_index must be an integer 0..63 or null")
    return Ice(_call(body), cand, mid, index)


def _type(body: Mapping[str, Any], allowed: Iterable[VisitType]) -> VisitType:
    kind = body.get("type")
    names = {str(t) for t in allowed}
    if not isinstance(kind, str) or kind not in names:
        raise InboundRejected(Reject.UNKNOWN_TYPE, f"type must be one of {sorted(names)}")
    return VisitType(kind)


IN_TYPES = (VisitType.ICE, VisitType.CUE, VisitType.HANGUP, VisitType.RECORD_REQUEST,
            VisitType.RECORD_STOP)
OUT_TYPES = (VisitType.ANSWER, VisitType.REFUSED, VisitType.STATE, VisitType.HANGUP,
             VisitType.RECORD_CONSENT, VisitType.RECORD_STOP, VisitType.ICE)


def is_envelope(payload: bytes) -> bool:
    """A signed envelope (the offer) rather than a plain message: cheap, before parsing."""
    return payload[:40].lstrip().startswith(b'{"format"')


def parse_in(payload: bytes) -> Inbound:
    """A plain ``visit/in`` message (not the offer: see :func:`open_offer`)."""
    body = decode(payload, VISIT_MAX_BYTES)
    kind = _type(body, IN_TYPES)
    if kind == VisitType.ICE:
        return _ice(body)
    if kind == VisitType.CUE:
        cue = body.get("cue")
        if not isinstance(cue, str) or cue not in {str(c) for c in CueKind}:
            raise _bad(f"cue must be one of {sorted(str(c) for c in CueKind)}")
        text = _text(body, "text", CUE_TEXT_MAX_CHARS, empty=cue != CueKind.TEXT)
        return Cue(_call(body), CueKind(cue), text.strip())
    if kind == VisitType.HANGUP:
        return HangUp(_call(body), _text(body, "reason", REASON_MAX_CHARS))
    if kind == VisitType.RECORD_STOP:
        return RecordStop(_call(body))
    return RecordRequest(_call(body))


def parse_out(payload: bytes) -> Outbound:
    """A ``visit/out`` message from a device (clinic side)."""
    body = decode(payload, VISIT_MAX_BYTES)
    kind = _type(body, OUT_TYPES)
    if kind == VisitType.ANSWER:
        return Answer(_call(body), _sdp(body))
    if kind == VisitType.REFUSED:
        call = body.get("call")
        return Refused(None if call is None else _call(body),
                       _text(body, "code", 32, empty=False),
                       _text(body, "reason", REASON_MAX_CHARS))
    if kind == VisitType.STATE:
        state = body.get("state")
        if not isinstance(state, str) or state not in {str(s) for s in CallState}:
            raise _bad(f"state must be one of {sorted(str(s) for s in CallState)}")
        return StateReport(_call(body), CallState(state),
                           _text(body, "reason", REASON_MAX_CHARS))
    if kind == VisitType.HANGUP:
        return HangUp(_call(body), _text(body, "reason", REASON_MAX_CHARS))
    if kind == VisitType.RECORD_CONSENT:
        granted = body.get("granted")
        if not isinstance(granted, bool):
            raise _bad("granted must be true or false")
        return RecordConsent(_call(body), granted)
    if kind == VisitType.RECORD_STOP:
        return RecordStop(_call(body))
    return _ice(body)


# --- the offer (device side) ------------------------------------------------------------
def peek_call(payload: bytes) -> str | None:
    """The call id inside an envelope, UNVERIFIED: only to address a refusal."""
    if len(payload) > VISIT_MAX_BYTES:
        return None
    try:
        env = json.loads(payload)
        body = json.loads(env["body"]) if isinstance(env, dict) else None
        call = body.get("call") if isinstance(body, dict) else None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
        return None
    return call if isinstance(call, str) and valid_id(call) else None


def open_offer(payload: bytes, key: Ed25519PublicKey | None, *, clinic: str, device: str,
               now: datetime, appointments: Iterable[Appointment]) -> Offer:
    """A verified offer for a scheduled appointment of this device, open at ``now``;
    :class:`VisitRefused` (code, reason, call id if one could be read) otherwise."""
    call = peek_call(payload)
    if len(payload) > VISIT_MAX_BYTES:
        raise VisitRefused("malformed", f"offer is {len(payload)} bytes, the limit is "
                           f"{VISIT_MAX_BYTES}", None)
    if key is None:
        raise VisitRefused("no_key", "no clinic_public_key on the device: calls cannot be "
                           "verified", call)
    try:
        signed = open_signed(payload, key, kinds=(Kind.VISIT,), clinic=clinic, device=device,
                             now=now)
        body = signed.body
        call = _call(body)
        appointment = _call(body, "appointment")
        sdp = _sdp(body)
    except PlanRejected as exc:
        raise VisitRefused(exc.code, str(exc), call) from exc
    except InboundRejected as exc:
        raise VisitRefused(RefuseCode.INVALID, exc.detail, call) from exc
    if signed.issued_at < now - OFFER_MAX_AGE:
        raise VisitRefused(RefuseCode.STALE, f"offer issued {signed.issued_at.isoformat()}, "
                           f"more than {int(OFFER_MAX_AGE.total_seconds())} s ago", call)
    held = {a.id: a for a in appointments}
    appt = held.get(appointment)
    if appt is None:
        raise VisitRefused(RefuseCode.UNSCHEDULED, f"appointment {appointment} is not "
                           "scheduled on this device", call)
    opens = appt.start_at - EARLY_JOIN
    closes = appt.start_at + timedelta(minutes=appt.minutes)
    if not opens <= now <= closes:
        raise VisitRefused(RefuseCode.OUTSIDE_WINDOW, f"appointment {appointment} runs "
                           f"{appt.start_at.isoformat()} for {appt.minutes} min; calls open "
                           f"{int(EARLY_JOIN.total_seconds() // 60)} min before", call)
    return Offer(call, appointment, sdp, clinic, device, signed.issued_at)
