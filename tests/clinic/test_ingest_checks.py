"""Ingest's payload checks read off the bytes (mqtt.inbound: depth, lone surrogates and a
record's dates without walking the decoded tree, issue 14's ingest rate) give the same
verdict as the tree walk, for real session Bundles and for the hostile shapes each byte
check has to see through: escaped quotes and backslashes, brackets inside strings, nesting
at and over the limit, dates with escapes, bad years at any depth."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench.outbox import items
from mqtt.inbound import (CLINIC_RULES, MAX_DEPTH, RECORD_MAX_BYTES, InboundRejected, Reject,
                          _check_tree, accept, check_record, decode)


def _walk_verdict(payload: bytes) -> str:
    """What the checks said before the byte paths: decode, walk the tree, check_record."""
    try:
        body = json.loads(payload)
        _check_tree(body, MAX_DEPTH)
        check_record(body)
    except InboundRejected as exc:
        return str(exc.reason)
    return "ok"


def _verdict(payload: bytes) -> str:
    try:
        accept("records", payload, CLINIC_RULES)
    except InboundRejected as exc:
        return str(exc.reason)
    return "ok"


def _nested(depth: int) -> dict[str, Any]:
    node: Any = "leaf"
    for _ in range(depth - 1):
        node = [node]
    return {"resourceType": "Basic", "id": "x", "identifier": {"value": "a"}, "deep": node}


def _record(**extra: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "identifier": [{"value": "urn:uuid:1"}], **extra}


CASES = [
    json.dumps(_nested(MAX_DEPTH)),  # at the limit (the root object is depth 1)
    json.dumps(_nested(MAX_DEPTH + 1)),  # one over
    json.dumps(_record(note="[[[[{{{{" * 20)),  # brackets inside a string count for nothing
    json.dumps(_record(note='say "hi" [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[')),  # escaped quotes
    json.dumps(_record(note="C:\\path\\", effectiveDateTime="1999-01-01T00:00:00Z")),
    json.dumps(_record(effectiveDateTime="1999-01-01T00:00:00Z")),
    json.dumps(_record(component=[{"valuePeriod": {"start": "2101-01-01"}}])),
    json.dumps(_record(issued="2026-11-29T10:00:00+00:00", note="\"start\": \"0001\"")),
    json.dumps(_record(issued="\\u0032026-01-01")),  # an escape inside a date
    '{"resourceType": "Observation", "identifier": "a", "issued": "\\u0032026-01-01"}',
    '{"resourceType": "Observation", "identifier": "a", "issued": "\\u0031999-01-01"}',
    '{"resourceType": "Observation", "identifier": "a", "note": "\\ud800"}',  # lone surrogate
    '{"resourceType": "Observation", "identifier": "a", "note": "\\ud83d\\ude00"}',  # a pair
    '{"resourceType" : "Observation" , "identifier" : "a" , "start" : "0999-01-01"}',
    json.dumps(_record(period={"start": {"nested": "1000"}, "end": "2026"})),
]


@pytest.mark.parametrize("payload", CASES)
def test_the_byte_checks_agree_with_the_tree_walk(payload: str) -> None:
    assert _verdict(payload.encode()) == _walk_verdict(payload.encode())


def test_the_verdicts_are_the_expected_ones() -> None:
    got = [_verdict(p.encode()) for p in CASES]
    assert got == ["ok", Reject.TOO_DEEP, "ok", "ok", Reject.BAD_DATE, Reject.BAD_DATE,
                   Reject.BAD_DATE, "ok", Reject.BAD_DATE, "ok", Reject.BAD_DATE,
                   Reject.NOT_UTF8, "ok", Reject.BAD_DATE, "ok"]


def test_real_session_bundles_pass_and_a_bad_year_deep_inside_is_found() -> None:
    for it in items(20):
        assert decode(it.payload, RECORD_MAX_BYTES)["resourceType"] == "Bundle"
        assert _verdict(it.payload) == "ok"
    body = json.loads(items(1)[0].payload)
    body["entry"][-1]["resource"]["effectiveDateTime"] = "2200-01-01T00:00:00+00:00"
    bad = json.dumps(body, separators=(",", ":")).encode()
    assert _verdict(bad) == _walk_verdict(bad) == Reject.BAD_DATE
