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

Here: the size and JSON checks, the rules and :func:`accept`. The reasons and counters are
``mqtt.rejects``, the fields of each leaf ``mqtt.inbound_fields`` (both importable from here).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import orjson

from mqtt.inbound_fields import (MAX_SHORT, MAX_TEXT, MAX_YEAR, MIN_YEAR, check_any,
                                 check_live, check_message_in, check_message_out,
                                 check_record, check_record_raw, check_status, parse_time)
from mqtt.payload_bytes import long_digit_run, nesting_depth, plain_quotes, skeleton
from mqtt.rejects import (PREFIX_BYTES, InboundRejected, InboundStats, Reject, safe_prefix,
                          should_log)
from mqtt.topics import Leaf

# what callers import from here: the reasons and counters (mqtt.rejects) and the field
# checks (mqtt.inbound_fields) with the limits they use
__all__ = ["CLINIC_RULES", "DEFAULT_MAX_BYTES", "DEVICE_RULES", "InboundRejected",
           "InboundStats", "LIVE_MAX_BYTES", "MAX_DEPTH", "MAX_SHORT", "MAX_TEXT", "MAX_YEAR",
           "MESSAGE_MAX_BYTES", "MIN_YEAR", "PREFIX_BYTES", "RECORD_MAX_BYTES", "Reject",
           "Rule", "STATUS_MAX_BYTES", "accept", "check_live", "check_message_in",
           "check_message_out", "check_record", "check_record_raw", "check_status",
           "decode", "parse_time", "rule_for", "safe_prefix", "should_log"]

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
# a number orjson would read differently from the bounded hooks: 19 digits or more (an
# integer of 2**63 or more, which orjson reads as an int up to 2**64 and beyond that as a
# float, silently; any number of more than MAX_FLOAT_CHARS characters: its digits are one
# run in the skeleton). An exponent is no risk by itself: orjson refuses what overflows to
# infinity ("1e400", then the bounded decoder says why) and reads the rest as float() does
# (correctly rounded; 300,000 random exponent numbers of <= 40 characters and the
# subnormal and overflow edges compared the same here)
def _risky_number(skel: bytes) -> bool:
    return long_digit_run(skel, MAX_INT_DIGITS)


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
