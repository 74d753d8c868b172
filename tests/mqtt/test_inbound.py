"""The inbound checks (mqtt.inbound) and the callback guard (mqtt.guard), without a broker."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

import pytest

from mqtt.guard import CallbackGuard, install
from mqtt.inbound import (CLINIC_RULES, DEVICE_RULES, LIVE_MAX_BYTES, MESSAGE_MAX_BYTES,
                          InboundRejected, InboundStats, Reject, accept, decode, parse_time,
                          safe_prefix)

NOW = "2026-11-29T08:00:00.000+00:00"
LIVE_REP = {"type": "rep", "session": "5b1c0e4e-1d1c-4a8e-9d7e-3f2a1b0c9d8e",
            "exercise": "knee_extension_seated", "set": 1, "at": NOW,
            "rep": {"n": 3, "rom_deg": 71.4, "hold_s": 1.25, "flags": ["too_fast"]}}
MESSAGE_OUT = {"type": "message", "id": "m-1", "text": "Knee a bit sore", "at": NOW}


def _j(body: object) -> bytes:
    return json.dumps(body).encode()


def _reason(leaf: str, payload: bytes, rules=CLINIC_RULES) -> Reject:  # type: ignore[no-untyped-def]
    with pytest.raises(InboundRejected) as info:
        accept(leaf, payload, rules)
    return info.value.reason


# one payload per way a generic payload can be wrong (any leaf)
GENERIC = [
    (b"", Reject.EMPTY),
    (b"\xff\xfe{}", Reject.NOT_UTF8),
    (b'{"a": "\xed\xa0\x80"}', Reject.NOT_UTF8),  # a surrogate encoded as raw UTF-8
    (b'{"a": "\\ud800"}', Reject.NOT_UTF8),  # a lone surrogate escaped: SQLite cannot store it
    (b"not json", Reject.NOT_JSON),
    (b'{"a": 1', Reject.NOT_JSON),
    (b"[1, 2]", Reject.NOT_OBJECT),
    (b'"text"', Reject.NOT_OBJECT),
    (b"null", Reject.NOT_OBJECT),
    (b"[" * 3000, Reject.TOO_DEEP),  # beyond the parser's recursion limit
    (b'{"a":' * 40 + b"1" + b"}" * 40, Reject.TOO_DEEP),  # parses, deeper than MAX_DEPTH
    (b'{"a": NaN}', Reject.BAD_NUMBER),
    (b'{"a": -Infinity}', Reject.BAD_NUMBER),
    (b'{"a": 1e999}', Reject.BAD_NUMBER),
    (b'{"a": ' + b"9" * 30 + b"}", Reject.BAD_NUMBER),
    (b'{"a": 9223372036854775808}', Reject.BAD_NUMBER),  # 2**63: no SQLite INTEGER
]


@pytest.mark.parametrize(("payload", "reason"), GENERIC)
def test_generic_hostile_payloads_are_refused_with_their_reason(payload: bytes,
                                                                reason: Reject) -> None:
    with pytest.raises(InboundRejected) as info:
        decode(payload)
    assert info.value.reason == reason
    assert payload[20:] == b"" or payload[20:].decode("latin-1") not in str(info.value)


def test_size_is_checked_before_a_byte_is_parsed() -> None:
    # a payload one byte over the limit is refused for its size even though it is not JSON
    with pytest.raises(InboundRejected) as info:
        decode(b"[" * (LIVE_MAX_BYTES + 1), max_bytes=LIVE_MAX_BYTES)
    assert info.value.reason == Reject.OVERSIZE
    assert decode(b'{"a": [1, 2.5, "x", {"b": null}]}') == {"a": [1, 2.5, "x", {"b": None}]}
    assert decode(b'{"big": 9223372036854775807}')["big"] == 2**63 - 1


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                                  "1999-12-31T23:59:59Z", "2101-01-01T00:00:00Z",
                                  "2026-11-29T08:00:00", "yesterday", "2026-13-01T00:00:00Z"])
def test_times_outside_the_sane_years_or_without_zone_are_bad_dates(text: str) -> None:
    with pytest.raises(InboundRejected) as info:
        parse_time(text, "at")
    assert info.value.reason == Reject.BAD_DATE and text not in str(info.value)


def test_a_sane_time_is_returned_in_utc() -> None:
    assert parse_time("2026-11-29T09:30:00+01:00", "at") == datetime(2026, 11, 29, 8, 30,
                                                                      tzinfo=timezone.utc)


def test_live_events_of_the_session_controller_pass_and_broken_ones_do_not() -> None:
    assert accept("live", _j(LIVE_REP), CLINIC_RULES) == LIVE_REP
    assert accept("live", _j({**LIVE_REP, "type": "paused", "rep": None}), CLINIC_RULES)
    cases = [
        ({**LIVE_REP, "rep": [1]}, Reject.BAD_FIELD),  # issue 12, finding 3
        ({**LIVE_REP, "rep": {**LIVE_REP["rep"], "rom_deg": "71"}}, Reject.BAD_FIELD),
        ({**LIVE_REP, "rep": {**LIVE_REP["rep"], "rom_deg": 1e308}}, Reject.BAD_FIELD),
        ({**LIVE_REP, "rep": {**LIVE_REP["rep"], "n": True}}, Reject.BAD_FIELD),
        ({**LIVE_REP, "set": 2**40}, Reject.BAD_FIELD),
        ({**LIVE_REP, "session": {"a": 1}}, Reject.BAD_FIELD),
        ({**LIVE_REP, "type": "explode"}, Reject.UNKNOWN_TYPE),
        ({**LIVE_REP, "type": ["rep"]}, Reject.UNKNOWN_TYPE),
        ({**LIVE_REP, "at": "0001-01-01T00:00:00+14:00"}, Reject.BAD_DATE),
        ({**LIVE_REP, "at": 1732867200}, Reject.BAD_DATE),
    ]
    assert [_reason("live", _j(body)) for body, _ in cases] == [r for _, r in cases]


def test_status_and_messages_out_fields() -> None:
    assert accept("status", b'{"state": "online", "device": "dev-1"}', CLINIC_RULES)
    assert accept("status", _j({"state": "online", "at": NOW, "event": "plan_applied",
                                "version": 3}), CLINIC_RULES)
    assert accept("messages/out", _j(MESSAGE_OUT), CLINIC_RULES)
    assert accept("messages/out", b'{"type": "ack", "id": "m-2"}', CLINIC_RULES)
    cases = [
        ("status", {}, Reject.BAD_FIELD),
        ("status", {"state": "pwned"}, Reject.BAD_FIELD),
        ("status", {"state": ["online"]}, Reject.BAD_FIELD),  # unhashable
        ("status", {"event": 7}, Reject.BAD_FIELD),
        ("status", {"event": "x", "at": "9999-12-31T23:59:59-12:00"}, Reject.BAD_DATE),
        ("messages/out", {**MESSAGE_OUT, "type": "drop_tables"}, Reject.UNKNOWN_TYPE),
        ("messages/out", {**MESSAGE_OUT, "id": "../../etc"}, Reject.BAD_FIELD),
        ("messages/out", {**MESSAGE_OUT, "id": 5}, Reject.BAD_FIELD),
        ("messages/out", {**MESSAGE_OUT, "text": ["a"]}, Reject.BAD_FIELD),
        ("messages/out", {**MESSAGE_OUT, "text": "x" * 4001}, Reject.BAD_FIELD),
        ("messages/out", {**MESSAGE_OUT, "at": "0001-01-01T00:00:00+14:00"}, Reject.BAD_DATE),
        ("evil", MESSAGE_OUT, Reject.UNKNOWN_TOPIC),
    ]
    assert [_reason(leaf, _j(body)) for leaf, body, _ in cases] == [r for *_, r in cases]


def test_records_need_a_resource_type_an_identifier_and_sane_dates() -> None:
    from therapy.ports import FhirEncoder
    from therapy.records import PainPhase, PainReport, new_id

    pain = PainReport(new_id(), 4, PainPhase.BEFORE, datetime.now(timezone.utc))
    good = json.loads(FhirEncoder("dev-1").pain_item(pain).payload)
    assert accept("records", _j(good), CLINIC_RULES) == good
    cases = [
        ({**good, "resourceType": 5}, Reject.NOT_FHIR),
        ({**good, "resourceType": "'; DROP TABLE"}, Reject.NOT_FHIR),
        ({k: v for k, v in good.items() if k != "identifier"}, Reject.BAD_FIELD),
        ({**good, "effectiveDateTime": "0001-01-01T00:00:00+14:00"}, Reject.BAD_DATE),
        ({**good, "meta": {"lastUpdated": "9999-12-31T23:59:59Z"}}, Reject.BAD_DATE),
    ]
    assert [_reason("records", _j(body)) for body, _ in cases] == [r for _, r in cases]


def test_device_messages_in_times_are_checked_before_the_downlink() -> None:
    body = {"type": "appointment", "id": "a-1", "start_at": "9999-12-31T23:59:59-14:00",
            "minutes": 30}
    assert _reason("messages/in", _j(body), DEVICE_RULES) == Reject.BAD_DATE
    assert _reason("messages/in", b"x" * (MESSAGE_MAX_BYTES + 1), DEVICE_RULES) \
        == Reject.OVERSIZE
    assert accept("messages/in", b'{"type": "ack", "id": "m-1"}', DEVICE_RULES)


def test_stats_count_per_reason_and_prefix_is_short_and_escaped() -> None:
    stats = InboundStats()
    assert [stats.reject(Reject.NOT_JSON) for _ in range(3)] == [1, 2, 3]
    stats.accepted["live"] += 2
    assert stats.rejected_total == 3
    assert stats.as_dict() == {"accepted": {"live": 2}, "rejected": {"not_json": 3}}
    assert safe_prefix(b'\xff{"note":"my knee hurts a lot"}') == '\\xff{"note":"my kne'


class _FakeClient:
    suppress_exceptions = False
    on_message = None


def test_guard_keeps_exceptions_from_paho_counts_and_logs_no_message(
        caplog: pytest.LogCaptureFixture) -> None:
    failures: list[str] = []
    guard = CallbackGuard("test link", lambda label, exc: failures.append(label))
    client = _FakeClient()

    def on_message(_c: object, _u: object, msg: bytes) -> str:
        if msg.startswith(b"boom"):
            raise ValueError(msg.decode())  # the message quotes the payload
        return "handled"

    install(client, guard, on_message=on_message)
    assert client.suppress_exceptions is True
    with caplog.at_level(logging.ERROR, logger="mqtt.guard"):
        assert client.on_message(None, None, b"boom: my knee hurts") is None  # type: ignore[misc]
        assert client.on_message(None, None, b"ok") == "handled"  # type: ignore[misc]
    assert guard.errors == {"on_message": 1} and failures == ["on_message"]
    assert "ValueError in on_message" in caplog.text and "knee" not in caplog.text


def test_inbound_checks_and_guard_are_pure(modules_loaded_by) -> None:  # type: ignore[no-untyped-def]
    loaded = modules_loaded_by("mqtt.inbound", "mqtt.guard")
    assert [m for m in ("paho", "sqlite3", "socket", "ssl") if m in loaded] == []


# --- property: whatever arrives, the checks answer with a body or an InboundRejected -------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_LEAVES = ["records", "live", "status", "messages/out", "messages/in", "plan", "nope"]
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
    | st.sampled_from([NOW, "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "rep",
                       "message", "online", "Bundle"]),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(
        st.sampled_from(["type", "id", "at", "rep", "n", "rom_deg", "state", "event", "text",
                         "resourceType", "identifier", "start", "session", "set", "x"]),
        kids, max_size=6), max_leaves=30)


def _only_rejections(leaf: str, payload: bytes) -> None:
    rules = DEVICE_RULES if leaf == "messages/in" else CLINIC_RULES
    try:
        assert isinstance(accept(leaf, payload, rules), dict)
    except InboundRejected:
        pass


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(_LEAVES), st.binary(max_size=200))
def test_any_bytes_give_a_body_or_a_rejection(leaf: str, payload: bytes) -> None:
    _only_rejections(leaf, payload)


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(_LEAVES), _json)
def test_any_json_gives_a_body_or_a_rejection(leaf: str, value: object) -> None:
    _only_rejections(leaf, json.dumps(value).encode())
    _only_rejections(leaf, json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"))
