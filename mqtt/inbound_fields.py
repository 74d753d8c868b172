"""The fields of each inbound leaf, checked once the payload is a bounded JSON object. Pure.

One check per leaf (``check_live``, ``check_status``, ``check_message_out``,
``check_record``, ``check_message_in``): types, ranges, ids and dates within
:data:`MIN_YEAR`..:data:`MAX_YEAR`. ``check_record_raw`` gives ``check_record``'s verdict
with the dates read off a plain payload's bytes. Each raises
:class:`~mqtt.rejects.InboundRejected`; ``mqtt.inbound`` maps the leaves to them.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Mapping

from mqtt.payload_bytes import plain_quotes
from mqtt.rejects import InboundRejected, Reject
from mqtt.topics import valid_id

MAX_TEXT = 4000  # characters of a message (as mqtt.downlink.MAX_TEXT)
MAX_SHORT = 64  # ids, exercise ids, event names
MIN_YEAR, MAX_YEAR = 2000, 2100  # sane dates: far from datetime's year 1 / 9999 overflows


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


# a FHIR time key and its string value, in a plain payload: one pass over the bytes finds
# every one (a bytes.find per key made eight passes over a 25 kB Bundle, ~60 us); a key
# whose value is no string (a number, an object) is not matched, as check_record skips it
_TIME_KEY_VALUE_RAW = re.compile(
    rb'"(' + b"|".join(k.encode() for k in sorted(FHIR_TIME_KEYS)) + rb')"\s*:\s*"([^"]*)"')


def check_record_raw(body: Mapping[str, Any], payload: bytes) -> None:
    """:func:`check_record` with its dates read off the payload's bytes when they are
    plain (the same verdict; the time keys found in one regex pass instead of a walk of
    the tree). In a plain, valid payload a quoted key followed by ':' is a key, never text
    in a string, and a string value ends at the next '"'."""
    _record_head(body)
    if not plain_quotes(payload):
        _record_times(body)
        return
    for m in _TIME_KEY_VALUE_RAW.finditer(payload):
        value = m.group(2)
        year = value[:4]
        if len(year) == 4 and year.isdigit() and MIN_YEAR <= int(year) <= MAX_YEAR:
            continue  # the normal case: a sane year first
        if b"\\" in value:  # an escape in a date: read the decoded one
            _record_times(body)
            return
        _fhir_year(value.decode("utf-8"), m.group(1).decode("ascii"))


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
