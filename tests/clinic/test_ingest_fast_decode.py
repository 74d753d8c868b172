"""Ingest decodes a plain payload with orjson (issue 14's ingest rate: half the CPU of the
bounded stdlib decoder), and only when no number needs the bounded hooks: the verdict and
the decoded object are the bounded decoder's for every shape where the two could differ
(integers of 19+ digits, which orjson turns into floats silently; exponents; NaN; a BOM;
invalid UTF-8; lone surrogates; nesting; duplicate keys; a top level that is no object)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import mqtt.inbound as inbound
from bench.outbox import items
from mqtt.inbound import (MAX_DEPTH, RECORD_MAX_BYTES, InboundRejected, Reject, _check_tree,
                          decode)


def _bounded(payload: bytes) -> tuple[str, Any]:
    """The verdict of the bounded stdlib decoder alone (the path before orjson)."""
    try:
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            return str(Reject.NOT_UTF8), None
        try:
            body = inbound._DECODER.decode(text)
        except inbound._Bad as exc:
            return str(exc.reason), None
        except RecursionError:
            return str(Reject.TOO_DEEP), None
        except ValueError:
            return str(Reject.NOT_JSON), None
        _check_tree(body, MAX_DEPTH)
    except InboundRejected as exc:
        return str(exc.reason), None
    if not isinstance(body, dict):
        return str(Reject.NOT_OBJECT), None
    return "ok", body


def _decoded(payload: bytes) -> tuple[str, Any]:
    try:
        return "ok", decode(payload, RECORD_MAX_BYTES)
    except InboundRejected as exc:
        return str(exc.reason), None


CASES: list[tuple[bytes, str]] = [
    (b'{"n": 1234567890123456789}', "ok"),  # 19 digits, below 2**63
    (b'{"n": -9223372036854775808}', "ok"),  # -2**63
    (b'{"n": 9223372036854775808}', Reject.BAD_NUMBER),  # 2**63
    (b'{"n": 18446744073709551615}', Reject.BAD_NUMBER),  # 2**64-1: orjson reads an int
    (b'{"n": 99999999999999999999}', Reject.BAD_NUMBER),  # orjson reads 1e+20, silently
    (b'{"n": [1, 2, 99999999999999999999999999]}', Reject.BAD_NUMBER),
    (b'{"x": 1.00000000000000000000000000000000000000001}', Reject.BAD_NUMBER),  # 43 chars
    (b'{"x": 1e400}', Reject.BAD_NUMBER),
    (b'{"x": -1.5E+3, "y": 2e-2}', "ok"),
    (b'{"x": [1.5e3, 2E-2, -0.5e+1, 1e-400, 4.9406564584124654e-324]}', "ok"),  # orjson
    (b'{"x": 1.7976931348623159e308}', Reject.BAD_NUMBER),  # overflows: orjson refuses
    (b'{"x": -123456789012345678.123456789012345678e-12}', Reject.BAD_NUMBER),  # 42 chars
    (b'{"x": 0.1, "y": -0.0, "z": 70.25}', "ok"),
    (b'{"x": NaN}', Reject.BAD_NUMBER),
    (b'{"x": -Infinity}', Reject.BAD_NUMBER),
    (b'{"n": "99999999999999999999", "e": "1e400"}', "ok"),  # in strings: just text
    (b'{"a": 1, "a": 2}', "ok"),  # the last one wins, in both
    (b'\xef\xbb\xbf{"a": 1}', Reject.NOT_JSON),  # a BOM
    (b'{"a": "\xff"}', Reject.NOT_UTF8),
    (b'{"a": "\xed\xa0\x80"}', Reject.NOT_UTF8),  # a surrogate in UTF-8 bytes
    (b'{"a": "\\ud800"}', Reject.NOT_UTF8),  # a lone surrogate escape
    (b'{"a": "\x01"}', Reject.NOT_JSON),  # a control character in a string
    (b'{"a": [1,]}', Reject.NOT_JSON),
    (b'{"a": 1} x', Reject.NOT_JSON),
    (b"[1, 2]", Reject.NOT_OBJECT),
    (b'"text"', Reject.NOT_OBJECT),
    (b'{"d": ' + b"[" * (MAX_DEPTH - 1) + b"]" * (MAX_DEPTH - 1) + b"}", "ok"),
    (b'{"d": ' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}", Reject.TOO_DEEP),
    (b'{"d": ' + b'{"a":' * MAX_DEPTH + b"1" + b"}" * MAX_DEPTH + b"}", Reject.TOO_DEEP),
    (b'{"d": ' + b"[" * 3000 + b"]" * 3000 + b"}", Reject.TOO_DEEP),  # beyond orjson's
    (b'{"s": "[[[[{{{{ 99999999999999999999 1e400"}', "ok"),
    (b'{"t": true, "f": false, "n": null, "k": [1,true]}', "ok"),  # e of true next to 1
    (b'{"s": "a,1]\\u00e9", "n": [1234567890, 123456789], "m": {"a": 12345, "b": 1}}', "ok"),
]

# numbers orjson reads as the bounded hooks do: they take the fast path (no bounded decode)
FAST = [
    b'{"x": -1.5E+3, "y": 2e-2, "z": [1e-400, 0.5e1]}',  # exponents
    b'{"n": [1234567890, 123456789], "m": {"a": 1234567890, "b": 123456789}}',  # side by side
    b'{"n": 123456789012345678, "s": "1234567890123456789012345 [[[["}',  # 18 digits; text
]


@pytest.mark.parametrize(("payload", "expected"), CASES)
def test_the_fast_decode_gives_the_bounded_decoders_verdict_and_object(
        payload: bytes, expected: str) -> None:
    got = _decoded(payload)
    assert got == _bounded(payload)
    assert got[0] == expected


def test_real_session_bundles_take_orjson_and_decode_to_the_same_object(
        monkeypatch: pytest.MonkeyPatch) -> None:
    payloads = [it.payload for it in items(10)]
    expected = [json.loads(p) for p in payloads]

    class NotUsed:
        def decode(self, _text: str) -> Any:
            raise AssertionError("the bounded decoder ran on a plain session Bundle")

    monkeypatch.setattr(inbound, "_DECODER", NotUsed())
    assert [decode(p, RECORD_MAX_BYTES) for p in payloads] == expected


@pytest.mark.parametrize("payload", FAST)
def test_numbers_orjson_reads_exactly_take_orjson(payload: bytes,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _bounded(payload)

    class NotUsed:
        def decode(self, _text: str) -> Any:
            raise AssertionError("the bounded decoder ran")

    monkeypatch.setattr(inbound, "_DECODER", NotUsed())
    assert _decoded(payload) == expected and expected[0] == "ok"


def test_a_number_orjson_would_misread_goes_to_the_bounded_decoder(
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real = inbound._DECODER

    class Spy:
        def decode(self, text: str) -> Any:
            seen.append(text)
            return real.decode(text)

    monkeypatch.setattr(inbound, "_DECODER", Spy())
    with pytest.raises(InboundRejected) as err:
        decode(b'{"n": 18446744073709551615}')
    assert err.value.reason == Reject.BAD_NUMBER and len(seen) == 1


DATES = [  # compact ("key":"value", as the kiosk sends) and spaced, good and bad
    (b'{"resourceType":"Observation","identifier":"a","issued":"2026-11-29T10:00:00Z"}', "ok"),
    (b'{"resourceType":"Observation","identifier":"a","issued":"1999-12-31T10:00:00Z"}',
     Reject.BAD_DATE),
    (b'{"resourceType":"Observation","identifier":"a","issued":"2101"}', Reject.BAD_DATE),
    (b'{"resourceType":"Observation","identifier":"a","issued":"20"}', Reject.BAD_DATE),
    (b'{"resourceType":"Observation","identifier":"a","issued":"2026"}', "ok"),
    (b'{"resourceType":"Observation","identifier":"a","issued":"2026\\u00e9"}', "ok"),
    (b'{"resourceType":"Observation","identifier":"a","issued":"\\u0032026"}', "ok"),
    (b'{"resourceType":"Observation","identifier":"a","note":"start","x":{"end":"0999"}}',
     Reject.BAD_DATE),
    (b'{"resourceType":"Observation","identifier":"a","period":{"start":"2026",'
     b'"end":"3000-01-01"}}', Reject.BAD_DATE),
    (b'{"resourceType":"Observation","identifier":"a","start":2026}', "ok"),  # not a string
]


@pytest.mark.parametrize(("payload", "expected"), DATES)
def test_record_dates_read_off_the_bytes_agree_with_the_tree_walk(
        payload: bytes, expected: str) -> None:
    def verdict(check: Any) -> str:
        try:
            check()
        except InboundRejected as exc:
            return str(exc.reason)
        return "ok"

    body = json.loads(payload)
    got = verdict(lambda: inbound.accept("records", payload, inbound.CLINIC_RULES))
    assert got == verdict(lambda: inbound.check_record(body)) == expected


# --- property: whatever JSON text, the fast path's verdict and object are the bounded one's ---
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_NUMBER_TEXT = st.builds(
    lambda sign, whole, frac, exp: f"{sign}{whole}{frac}{exp}",
    st.sampled_from(["", "-"]), st.integers(0, 10**25),
    st.sampled_from(["", ".5", ".0001", ".123456789012345678901"]),
    st.sampled_from(["", "e5", "E-3", "e+308", "e309", "e-400", "E0"]))
_STRING_TEXT = st.text(alphabet='ab1,[]{}":. \\e9', max_size=12).map(json.dumps)
_SCALAR = _NUMBER_TEXT | _STRING_TEXT | st.sampled_from(["true", "false", "null"])


def _object_text(children: Any) -> Any:
    pairs = st.lists(st.tuples(_STRING_TEXT, children), max_size=4)
    return (pairs.map(lambda kv: "{" + ",".join(f"{k}:{v}" for k, v in kv) + "}")
            | st.lists(children, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"))


_JSON_TEXT = st.recursive(_SCALAR, _object_text, max_leaves=20)


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(_STRING_TEXT, _JSON_TEXT), max_size=5))
def test_any_json_object_gets_the_bounded_decoders_verdict_and_object(
        pairs: list[tuple[str, str]]) -> None:
    payload = ("{" + ",".join(f"{k}: {v}" for k, v in pairs) + "}").encode()
    assert _decoded(payload) == _bounded(payload)
