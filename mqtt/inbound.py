"""Checks on every inbound MQTT payload, before any handler sees it. Pure (no I/O library).

Order, cheapest first: size (before a byte is parsed), UTF-8, JSON with bounded numbers
(no NaN/Infinity, no 5,000-digit integers), bounded depth, strings that can be stored
(no lone surrogates), a JSON object, then the fields of the leaf (types, ranges, dates
within :data:`MIN_YEAR`..:data:`MAX_YEAR`). A failed check raises :class:`InboundRejected`
with a :class:`Reject` reason; the link counts it in :class:`InboundStats` and logs the
reason with a short, escaped prefix of the payload (never more of it).

``rules`` map a leaf to its size limit and field check; a leaf of :class:`~mqtt.topics.Leaf`
without a rule of its own gets the generic rule (a JSON object of at most
:data:`DEFAULT_MAX_BYTES`), so a new leaf is never parsed unchecked.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any, Callable, Mapping

import orjson

from mqtt.errors import LinkError
from mqtt.payload_bytes import (compact_year, long_or_exponent_number, nesting_depth,
                                 plain_quotes, skeleton)
from mqtt.topics import Leaf, valid_id

KIB = 1024
DEFAULT_MAX_BYTES = 64 * KIB
RECORD_MAX_BYTES = 4 * KIB * KIB  # a plan's most, 10 sets x 100 reps, makes a ~2.6 MB Bundle
LIVE_MAX_BYTES = 4 * KIB
STATUS_MAX_BYTES = 4 * KIB
MESSAGE_MAX_BYTES = 32 * KIB  # 4,000 characters, each up to 6 bytes escaped, plus fields
MAX_DEPTH = 32  # a session Bundle nests 9 deep
MAX_INT_DIGITS = 19  # parsed at all; then it must fit a signed 64-bit SQLite INTEGER
INT_LIMIT = 2**63
MAX_FLOAT_CHARS = 40
MAX_TEXT = 4000  # characters of a message (as mqtt.downlink.MAX_TEXT)
MAX_SHORT = 64  # ids, exercise ids, event names
MIN_YEAR, MAX_YEAR = 2000, 2100  # sane dates: far from datetime's year 1 / 9999 overflows
PREFIX_BYTES = 16  # how much of a rejected payload a log line may show


class Reject(StrEnum):
    """Why an inbound payload was refused (counted per reason)."""

    EMPTY = "empty"
    OVERSIZE = "oversize"
    NOT_UTF8 = "not_utf8"
    NOT_JSON = "not_json"
    BAD_NUMBER = "bad_number"  # NaN, Infinity, out-of-range numbers
    TOO_DEEP = "too_deep"
    NOT_OBJECT = "not_object"
    BAD_FIELD = "bad_field"  # missing, wrong type or out of range
    BAD_DATE = "bad_date"
    UNKNOWN_TYPE = "unknown_type"
    UNKNOWN_TOPIC = "unknown_topic"
    NOT_FHIR = "not_fhir"
    PLAN_REJECTED = "plan_rejected"  # the plan envelope check (therapy.signing) refused it
    HANDLER_ERROR = "handler_error"  # an unexpected exception, caught at the callback


class InboundRejected(LinkError):
    """An inbound payload refused for ``reason``; the message names the field, never its value."""

    def __init__(self, reason: Reject, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(slots=True)
class InboundStats:
    """Counters of one link's inbound traffic (read by the watch view, sync and the kiosk)."""

    accepted: Counter[str] = field(default_factory=Counter)  # per leaf
    rejected: Counter[Reject] = field(default_factory=Counter)  # per reason

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def reject(self, reason: Reject) -> int:
        """Count one rejection; returns how many of this reason so far."""
        self.rejected[reason] += 1
        return self.rejected[reason]

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {"accepted": dict(self.accepted),
                "rejected": {str(k): v for k, v in self.rejected.items()}}


def should_log(count: int) -> bool:
    """Log the first 20 of a reason, then every 1,000th (a flood must not fill the disk)."""
    return count <= 20 or count % 1000 == 0


def safe_prefix(payload: bytes, n: int = PREFIX_BYTES) -> str:
    """The first ``n`` bytes as printable ASCII (anything else escaped)."""
    return "".join(chr(b) if 0x20 <= b < 0x7F and b != 0x5C else f"\\x{b:02x}"
                   for b in payload[:n])


# --- JSON with bounds ---------------------------------------------------------------
class _Bad(Exception):
    def __init__(self, reason: Reject, detail: str) -> None:
        self.reason, self.detail = reason, detail


def _parse_int(text: str) -> int:
    value = int(text) if len(text.lstrip("-")) <= MAX_INT_DIGITS else INT_LIMIT
    if not -INT_LIMIT <= value < INT_LIMIT:
        raise _Bad(Reject.BAD_NUMBER, f"an integer of {len(text)} digits")
    return value


def _parse_float(text: str) -> float:
    value = float(text) if len(text) <= MAX_FLOAT_CHARS else math.inf
    if not math.isfinite(value):
        raise _Bad(Reject.BAD_NUMBER, "a number out of range")
    return value


def _parse_constant(_name: str) -> Any:
    raise _Bad(Reject.BAD_NUMBER, "NaN or Infinity is not JSON")


_DECODER = json.JSONDecoder(parse_int=_parse_int, parse_float=_parse_float,
                            parse_constant=_parse_constant)


def decode(payload: bytes, max_bytes: int = DEFAULT_MAX_BYTES,
           max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """A JSON object from ``payload``, every bound checked; raises InboundRejected."""
    if not payload:
        raise InboundRejected(Reject.EMPTY, "empty payload")
    if len(payload) > max_bytes:
        raise InboundRejected(Reject.OVERSIZE, f"{len(payload)} bytes, the limit is {max_bytes}")
    plain = plain_quotes(payload)
    if plain:  # the normal case: orjson, when no number needs the bounded hooks
        skel = skeleton(payload)
        if not _risky_number(skel):
            try:
                fast = orjson.loads(payload)
            except orjson.JSONDecodeError:
                pass  # the bounded decoder below says exactly why
            else:
                _check_depth_raw(skel, max_depth)
                return _object(fast)
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InboundRejected(Reject.NOT_UTF8, f"invalid UTF-8 at byte {exc.start}") from None
    try:
        body = _DECODER.decode(text)
    except _Bad as exc:
        raise InboundRejected(exc.reason, exc.detail) from None
    except RecursionError:
        raise InboundRejected(Reject.TOO_DEEP, "nested deeper than the parser allows") from None
    except ValueError as exc:  # json.JSONDecodeError; int() beyond sys.int_info limits
        where = f" at char {exc.pos}" if isinstance(exc, json.JSONDecodeError) else ""
        raise InboundRejected(Reject.NOT_JSON, f"not JSON{where}") from None
    if plain:
        _check_depth_raw(skeleton(payload), max_depth)
    else:
        _check_tree(body, max_depth)
    return _object(body)


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InboundRejected(Reject.NOT_OBJECT, f"a JSON {type(body).__name__}, not an object")
    return body


# --- the same checks on the payload's bytes (mqtt.payload_bytes) --------------------
# a number orjson would read differently from the bounded hooks: 19 digits or more (beyond
# 64 bits orjson gives a float, silently; any float of > MAX_FLOAT_CHARS has such a run
# unless it has an exponent) or an exponent (1e400 is out of range)
def _risky_number(skel: bytes) -> bool:
    return long_or_exponent_number(skel, MAX_INT_DIGITS)


def _check_depth_raw(skel: bytes, max_depth: int) -> None:
    """Containers nested at most ``max_depth`` deep (a plain payload's skeleton); raises
    TOO_DEEP."""
    if nesting_depth(skel, max_depth) > max_depth:
        raise InboundRejected(Reject.TOO_DEEP, f"nested deeper than {max_depth}")


def _check_tree(root: Any, max_depth: int) -> None:
    """Depth and storable strings, walked without recursion."""
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            _storable(node)
        elif isinstance(node, (dict, list)):
            if depth > max_depth:
                raise InboundRejected(Reject.TOO_DEEP, f"nested deeper than {max_depth}")
            if isinstance(node, dict):
                for key in node:
                    _storable(key)
                stack.extend((v, depth + 1) for v in node.values())
            else:
                stack.extend((v, depth + 1) for v in node)


def _storable(text: str) -> None:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InboundRejected(Reject.NOT_UTF8, "a string with a lone surrogate") from None


# --- field checks -------------------------------------------------------------------
def parse_time(value: Any, name: str) -> datetime:
    """An ISO 8601 time with a zone, years MIN_YEAR..MAX_YEAR, as UTC; else BAD_DATE."""
    if not isinstance(value, str) or len(value) > MAX_SHORT:
        raise InboundRejected(Reject.BAD_DATE, f"{name} must be an ISO 8601 time string")
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise InboundRejected(Reject.BAD_DATE, f"{name} is not an ISO 8601 time") from None
    if t.tzinfo is None or t.utcoffset() is None:
        raise InboundRejected(Reject.BAD_DATE, f"{name} needs a time zone")
    if not MIN_YEAR <= t.year <= MAX_YEAR:  # checked before any arithmetic can overflow
        raise InboundRejected(Reject.BAD_DATE, f"{name} is outside {MIN_YEAR}..{MAX_YEAR}")
    return t.astimezone(timezone.utc)


def _str(body: Mapping[str, Any], name: str, *, required: bool = True,
         max_len: int = MAX_SHORT) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= max_len:
        raise InboundRejected(Reject.BAD_FIELD, f"{name} must be a string of 1..{max_len}")
    return value


def _id(body: Mapping[str, Any], name: str, *, required: bool = True) -> None:
    value = _str(body, name, required=required)
    if value is not None and not valid_id(value):
        raise InboundRejected(Reject.BAD_FIELD, f"{name} must be 1-64 of A-Z a-z 0-9 _ . -")


def _number(body: Mapping[str, Any], name: str, lo: float, hi: float, *,
            integer: bool = False, required: bool = True) -> None:
    value = body.get(name)
    if value is None and not required:
        return
    kinds: tuple[type, ...] = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not lo <= value <= hi:
        what = "an integer" if integer else "a number"
        raise InboundRejected(Reject.BAD_FIELD, f"{name} must be {what} {lo:g}..{hi:g}")


def _time(body: Mapping[str, Any], name: str, *, required: bool = True) -> None:
    if body.get(name) is not None or required:
        parse_time(body.get(name), name)


def _type(body: Mapping[str, Any], allowed: frozenset[str]) -> str:
    kind = body.get("type")
    if not isinstance(kind, str) or kind not in allowed:
        raise InboundRejected(Reject.UNKNOWN_TYPE, f"type must be one of {sorted(allowed)}")
    return kind


LIVE_TYPES = frozenset({"session_started", "set_started", "rep", "paused", "resumed",
                        "set_ended", "session_ended"})
OUT_TYPES = frozenset({"message", "ack", "appointment_started"})
STATES = frozenset({"online", "offline"})
RESOURCE_TYPE = re.compile(r"^[A-Z][A-Za-z]{1,63}$")
# FHIR keys whose string values are dates or times in our resources
FHIR_TIME_KEYS = frozenset({"timestamp", "start", "end", "effectiveDateTime", "authored",
                            "recorded", "issued", "lastUpdated"})


def check_live(body: Mapping[str, Any]) -> None:
    """A live feed event (therapy.ports.SessionEvent.to_json)."""
    _type(body, LIVE_TYPES)
    _str(body, "session")
    _str(body, "exercise")
    _number(body, "set", 0, 1000, integer=True)
    _time(body, "at")
    rep = body.get("rep")
    if body["type"] == "rep" or rep is not None:
        if not isinstance(rep, dict):
            raise InboundRejected(Reject.BAD_FIELD, "rep must be an object")
        _number(rep, "n", 0, 100_000, integer=True)
        _number(rep, "rom_deg", -360, 360)
        _number(rep, "hold_s", 0, 3600, required=False)
        flags = rep.get("flags", [])
        if not isinstance(flags, list) or len(flags) > 16 or not all(
                isinstance(f, str) and len(f) <= MAX_SHORT for f in flags):
            raise InboundRejected(Reject.BAD_FIELD, "rep.flags must be a list of short strings")


def check_status(body: Mapping[str, Any]) -> None:
    """Birth/will ``{"state": ...}`` or a status event ``{"event": ...}``; a ``battery``
    event names the wearable's ``segment`` and its ``battery_pct`` (an integer 0..100)."""
    state, event = body.get("state"), body.get("event")
    if state is None and event is None:
        raise InboundRejected(Reject.BAD_FIELD, "status needs a state or an event")
    if state is not None and (not isinstance(state, str) or state not in STATES):
        raise InboundRejected(Reject.BAD_FIELD, f"state must be one of {sorted(STATES)}")
    _str(body, "event", required=False)
    _time(body, "at", required=False)
    if event == "battery" or "battery_pct" in body:  # a wearable's level (report_battery)
        _str(body, "segment")
        _number(body, "battery_pct", 0, 100, integer=True)


def check_message_out(body: Mapping[str, Any]) -> None:
    """A patient message, an ack or an appointment start from the device."""
    kind = _type(body, OUT_TYPES)
    _id(body, "id")
    _time(body, "at", required=kind != "ack")
    if kind == "message":
        _str(body, "text", max_len=MAX_TEXT)
    elif kind == "appointment_started":
        _str(body, "session", required=False)


def check_record(body: Mapping[str, Any]) -> None:
    """A FHIR resource from the outbox: a resource type, an identifier, sane dates.

    Full FHIR validation is the watcher's validator; this keeps what it and the clinic
    store rely on from overflowing or crashing.
    """
    _record_head(body)
    _record_times(body)


# '"key"' of each FHIR time key, then ': "value"' after it, in a plain payload
_TIME_KEYS_RAW = tuple((b'"%s"' % k.encode(), k) for k in sorted(FHIR_TIME_KEYS))
_TIME_VALUE_RAW = re.compile(rb'\s*:\s*"([^"]*)"')


def check_record_raw(body: Mapping[str, Any], payload: bytes) -> None:
    """:func:`check_record` with its dates read off the payload's bytes when they are
    plain (the same verdict; each key found with bytes.find instead of a walk of the tree).
    In a plain, valid payload a quoted key followed by ':' is a key, never text in a string."""
    _record_head(body)
    if not plain_quotes(payload):
        _record_times(body)
        return
    for quoted, key in _TIME_KEYS_RAW:
        at = payload.find(quoted)
        while at >= 0:
            at += len(quoted)
            year = compact_year(payload, at)
            if year is not None and MIN_YEAR <= year <= MAX_YEAR:
                at = payload.find(quoted, at)
                continue
            m = _TIME_VALUE_RAW.match(payload, at)
            if m is not None:
                value = m.group(1)
                if b"\\" in value:  # an escape in a date: read the decoded one
                    _record_times(body)
                    return
                _fhir_year(value.decode("utf-8"), key)
            at = payload.find(quoted, at)


def _record_head(body: Mapping[str, Any]) -> None:
    rtype = body.get("resourceType")
    if not isinstance(rtype, str) or not RESOURCE_TYPE.match(rtype):
        raise InboundRejected(Reject.NOT_FHIR, "resourceType must be a FHIR resource name")
    ident = body.get("identifier")
    if rtype == "AuditEvent":  # R4 gives it no identifier: its id is the record UUID
        ident = body.get("id") if isinstance(body.get("id"), str) else None
    if not isinstance(ident, (dict, list, str)) or not ident:
        raise InboundRejected(Reject.BAD_FIELD, "a record needs an identifier")


def _record_times(body: Mapping[str, Any]) -> None:
    stack: list[Any] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in FHIR_TIME_KEYS and isinstance(value, str):
                    _fhir_year(value, key)
                elif isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))


def _fhir_year(value: str, key: str) -> None:
    # FHIR dates may be partial ("2026-11"); the year is always the first four digits
    if not (len(value) >= 4 and value[:4].isdigit() and MIN_YEAR <= int(value[:4]) <= MAX_YEAR):
        raise InboundRejected(Reject.BAD_DATE, f"{key} is outside {MIN_YEAR}..{MAX_YEAR}")


def check_message_in(body: Mapping[str, Any]) -> None:
    """Device side, before mqtt.downlink: whatever times it carries are sane.

    The downlink checks the fields of its own (possibly signed) format.
    """
    for name in ("at", "start_at"):
        _time(body, name, required=False)


def check_any(_body: Mapping[str, Any]) -> None:
    """The generic rule: a bounded JSON object, nothing more known."""


@dataclass(frozen=True, slots=True)
class Rule:
    max_bytes: int
    check: Callable[[Mapping[str, Any]], None] = check_any
    # the same check, cheaper with the raw payload at hand (accept() uses it when set)
    check_raw: Callable[[Mapping[str, Any], bytes], None] | None = None


CLINIC_RULES: Mapping[str, Rule] = {
    Leaf.RECORDS.value: Rule(RECORD_MAX_BYTES, check_record, check_record_raw),
    Leaf.LIVE.value: Rule(LIVE_MAX_BYTES, check_live),
    Leaf.STATUS.value: Rule(STATUS_MAX_BYTES, check_status),
    Leaf.MESSAGES_OUT.value: Rule(MESSAGE_MAX_BYTES, check_message_out),
}
DEVICE_RULES: Mapping[str, Rule] = {
    Leaf.MESSAGES_IN.value: Rule(MESSAGE_MAX_BYTES, check_message_in),
}
_LEAVES = frozenset(leaf.value for leaf in Leaf)


def rule_for(leaf: str, rules: Mapping[str, Rule]) -> Rule:
    """The leaf's rule; the generic one for a known leaf without its own; else UNKNOWN_TOPIC."""
    if leaf in rules:
        return rules[leaf]
    if leaf in _LEAVES:
        return Rule(DEFAULT_MAX_BYTES)
    raise InboundRejected(Reject.UNKNOWN_TOPIC, "not a leaf of rehab/v1")


def accept(leaf: str, payload: bytes, rules: Mapping[str, Rule]) -> dict[str, Any]:
    """``payload`` of ``leaf`` decoded and checked by the leaf's rule; raises InboundRejected."""
    rule = rule_for(leaf, rules)
    body = decode(payload, rule.max_bytes)
    if rule.check_raw is not None:
        rule.check_raw(body, payload)
    else:
        rule.check(body)
    return body
