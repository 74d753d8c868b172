"""The visit signalling codec (mqtt/visit.py, pure): round trips, hostile payloads refused
per reason (size first), and the offer's checks in order."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from mqtt.inbound import InboundRejected, Reject
from mqtt.visit import (
    SDP_MAX_CHARS,
    VISIT_MAX_BYTES,
    Answer,
    CallState,
    Cue,
    CueKind,
    HangUp,
    Ice,
    Offer,
    RecordConsent,
    RecordRequest,
    RecordStop,
    Refused,
    StateReport,
    VisitRefused,
    encode,
    is_envelope,
    open_offer,
    parse_in,
    parse_out,
    seal_offer,
)
from therapy.records import Appointment
from therapy.signing import new_private_key

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=timezone.utc)
SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
KEY = new_private_key()
APPT = Appointment("appt-1", NOW - timedelta(minutes=5), 30)


@pytest.mark.parametrize("msg", [
    Ice("call-1", "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host", "0", 0),
    Cue("call-1", CueKind.SLOWER), Cue("call-1", CueKind.HOLD),
    Cue("call-1", CueKind.TEXT, "Keep your back straight"),
    HangUp("call-1", "end of the appointment"), RecordRequest("call-1"), RecordStop("call-1")])
def test_inbound_messages_round_trip(msg: object) -> None:
    assert parse_in(encode(msg)) == msg  # type: ignore[arg-type]


@pytest.mark.parametrize("msg", [
    Answer("call-1", SDP), Refused("call-1", "unscheduled", "not scheduled"),
    Refused(None, "malformed", "too large"), StateReport("call-1", CallState.FAILED, "why"),
    HangUp("call-1", "the patient hung up"), RecordConsent("call-1", False),
    RecordStop("call-1")])
def test_outbound_messages_round_trip(msg: object) -> None:
    assert parse_out(encode(msg)) == msg  # type: ignore[arg-type]


def test_cue_words() -> None:
    assert Cue("c", CueKind.SLOWER).words == "Slower"
    assert Cue("c", CueKind.TEXT, "Breathe").words == "Breathe"


@pytest.mark.parametrize("payload, reason", [
    (b"", Reject.EMPTY),
    (b"{" + b" " * VISIT_MAX_BYTES + b"}", Reject.OVERSIZE),
    (b"\xff\xfe", Reject.NOT_UTF8),
    (b"{nope", Reject.NOT_JSON),
    (b"[1]", Reject.NOT_OBJECT),
    (b"[" * 40 + b"]" * 40, Reject.TOO_DEEP),
    (b'{"type": "cue", "call": "c", "cue": "x", "n": NaN}', Reject.BAD_NUMBER),
    (b'{"type": "answer", "call": "c", "sdp": "v=0"}', Reject.UNKNOWN_TYPE),  # an up type
    (b'{"type": "cue", "call": "c/+", "cue": "slower"}', Reject.BAD_FIELD),
    (b'{"type": "cue", "call": "c", "cue": "faster"}', Reject.BAD_FIELD),
    (b'{"type": "cue", "call": "c", "cue": "text", "text": ""}', Reject.BAD_FIELD),
    (json.dumps({"type": "cue", "call": "c", "cue": "text", "text": "x" * 121}).encode(),
     Reject.BAD_FIELD),
    (b'{"type": "ice", "call": "c", "candidate": "a", "sdp_mline_index": true}',
     Reject.BAD_FIELD),
    (b'{"type": "hangup", "call": "c", "reason": 5}', Reject.BAD_FIELD),
])
def test_hostile_visit_in_refused_per_reason(payload: bytes, reason: Reject) -> None:
    with pytest.raises(InboundRejected) as exc:
        parse_in(payload)
    assert exc.value.reason == reason


@pytest.mark.parametrize("body", [
    {"type": "answer", "call": "c", "sdp": "no session description"},
    {"type": "answer", "call": "c", "sdp": "v=0" + "x" * SDP_MAX_CHARS},
    {"type": "state", "call": "c", "state": "dancing"},
    {"type": "record_consent", "call": "c", "granted": "yes"},
    {"type": "refused", "call": "c", "code": "", "reason": "x"},
])
def test_hostile_visit_out_refused(body: dict[str, object]) -> None:
    with pytest.raises(InboundRejected):
        parse_out(json.dumps(body).encode())


def _offer(**kw: object) -> bytes:
    args: dict[str, object] = {"clinic": "c1", "device": "dev-a", "issued_at": NOW}
    args.update(kw)
    return seal_offer("call-1", str(args.pop("appointment", "appt-1")), SDP,
                      args.pop("key", KEY), **args)  # type: ignore[arg-type]


def _open(payload: bytes, now: datetime = NOW,
          appts: tuple[Appointment, ...] = (APPT,)) -> Offer:
    return open_offer(payload, KEY.public_key(), clinic="c1", device="dev-a", now=now,
                      appointments=appts)


def test_offer_opens_for_this_device_and_appointment() -> None:
    payload = _offer()
    assert is_envelope(payload)
    offer = _open(payload)
    assert (offer.call, offer.appointment, offer.sdp) == ("call-1", "appt-1", SDP)


@pytest.mark.parametrize("payload, now, code", [
    (_offer(device="dev-b"), NOW, "wrong_device"),
    (_offer(clinic="c2"), NOW, "wrong_clinic"),
    (_offer(key=new_private_key()), NOW, "bad_signature"),
    (_offer(appointment="appt-2"), NOW, "unscheduled"),
    (_offer(issued_at=NOW + timedelta(hours=2)), NOW + timedelta(hours=2), "outside_window"),
    (_offer(issued_at=NOW - timedelta(minutes=30)), NOW - timedelta(minutes=30),
     "outside_window"),  # 25 min before the start: opens 15 min before
    (_offer(), NOW + timedelta(minutes=2), "stale_offer"),  # queued while the kiosk was off
    (b'{"format": "rehab-signed/2", "body": "{}", "sig": ""}', NOW, "unsigned"),
])
def test_offer_refused_with_code_and_call(payload: bytes, now: datetime, code: str) -> None:
    with pytest.raises(VisitRefused) as exc:
        _open(payload, now)
    assert exc.value.code == code
    if code != "unsigned":
        assert exc.value.call == "call-1"  # so the refusal reaches the clinic's call


def test_offer_without_key_or_oversize_refused() -> None:
    with pytest.raises(VisitRefused, match="no_key"):
        open_offer(_offer(), None, clinic="c1", device="dev-a", now=NOW, appointments=[APPT])
    with pytest.raises(VisitRefused, match="malformed"):
        _open(b'{"format"' + b" " * VISIT_MAX_BYTES)


def test_visit_module_is_pure(modules_loaded_by) -> None:  # type: ignore[no-untyped-def]
    loaded = modules_loaded_by("mqtt.visit")
    assert not {"paho", "sqlite3", "aiortc", "kivy", "av"} & {m.split(".")[0] for m in loaded}


def test_view_model_hub_and_mark_load_no_ui_media_or_io_library(  # type: ignore[no-untyped-def]
        modules_loaded_by) -> None:
    """The visit view-model is Kivy-free, aiortc loads only when a call is made, the frame
    hub and the supervised mark need neither a broker nor SQLite."""
    loaded = modules_loaded_by("kiosk.vm.visit", "sensors.camera.hub", "therapy.supervised")
    heavy = {"kivy", "aiortc", "av", "paho", "sqlite3", "cv2", "mediapipe"}
    assert not heavy & {m.split(".")[0] for m in loaded}
