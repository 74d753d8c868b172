"""End-to-end delivery, the pure part: receipts, record ids and the resend policy.

The device keeps an outbox row until the CLINIC says it committed the record (a receipt),
not merely until the broker acknowledged the publish: a PUBACK (even reason 0) says only
that the broker took the message, and reason 16 "no matching subscribers" says the broker
dropped it. So:

- every outbox publish carries its row's record id in the MQTT 5 user property
  :data:`RECORD_ID_PROPERTY`;
- the clinic, after committing a record (or finding it already held: duplicates are
  acknowledged too), publishes a receipt, QoS 1, on the device's ``ack`` leaf: a JSON list
  of record ids (:func:`encode_receipt`), at most :data:`RECEIPT_MAX_IDS` ids and
  :data:`RECEIPT_MAX_BYTES` bytes;
- the device deletes outbox rows by record id on a receipt (:func:`decode_ack` checks it
  first);
- a record the clinic refuses for good (its checks fail: not FHIR, a hostile payload) is
  answered on the same ``ack`` leaf with a *refusal*, a JSON object
  ``{"refused": [{"id": ..., "code": ...}]}`` (:func:`encode_refusal`; ``code`` is the
  clinic's reason, e.g. ``not_fhir``). The clinic keeps the payload in quarantine; the device
  keeps the row, marked refused, and stops sending it until a maintainer requeues it. A
  record the clinic could not store for a passing reason (store down or locked) gets
  neither: the device resends it. A receipt always wins over a refusal; a row the broker accepted but no receipt covered is sent again after
  :func:`resend_delay_s` (:class:`ResendPolicy`: data, no waiting needed to test it);
  after a restart every row left is sent again.

Imports no I/O library.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable, NamedTuple, Sequence

RECORD_ID_PROPERTY = "record-id"
RECORD_ID_MAX_LEN = 80  # "start-" + a 64-character appointment id fits
RECEIPT_MAX_IDS = 100
# 100 ids of 80 characters, JSON-escaped (up to 6 bytes each), quoted and separated
RECEIPT_MAX_BYTES = 50 * 1024


class ReceiptError(ValueError):
    """A receipt payload that is not a bounded JSON list of record ids (says which rule,
    never the value). ``kind`` is ``oversize``, ``not_json`` or ``bad_field`` (the names of
    ``mqtt.inbound.Reject``)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


def valid_record_id(value: object) -> bool:
    """Record ids are 1-80 printable characters (uuids, ``ack-<uuid>``, ``start-<id>``)."""
    return isinstance(value, str) and 0 < len(value) <= RECORD_ID_MAX_LEN \
        and value.isprintable()


def encode_receipt(ids: Sequence[str]) -> bytes:
    """One receipt payload (a JSON list); raises ReceiptError past the bounds."""
    if not 0 < len(ids) <= RECEIPT_MAX_IDS:
        raise ReceiptError("bad_field",
                           f"a receipt holds 1..{RECEIPT_MAX_IDS} record ids, not {len(ids)}")
    bad = [n for n, i in enumerate(ids) if not valid_record_id(i)]
    if bad:
        raise ReceiptError("bad_field", f"item {bad[0]} is not a record id")
    return json.dumps(list(ids), separators=(",", ":")).encode()


def receipts_for(ids: Iterable[str]) -> list[bytes]:
    """Receipt payloads for any number of record ids, RECEIPT_MAX_IDS per payload."""
    unique = list(dict.fromkeys(ids))
    return [encode_receipt(unique[i:i + RECEIPT_MAX_IDS])
            for i in range(0, len(unique), RECEIPT_MAX_IDS)]


def decode_receipt(payload: bytes) -> tuple[str, ...]:
    """The record ids of a receipt; ReceiptError for anything else (size checked first)."""
    return _receipt_ids(_json_body(payload, "receipt"))


def _json_body(payload: bytes, what: str) -> object:
    """``payload`` as JSON, its size checked before a byte is parsed; ReceiptError if it
    is larger than RECEIPT_MAX_BYTES or not JSON (``what`` names it in the message)."""
    if len(payload) > RECEIPT_MAX_BYTES:
        raise ReceiptError("oversize",
                           f"{what} of {len(payload)} bytes (at most {RECEIPT_MAX_BYTES})")
    try:
        return json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ReceiptError("not_json", f"{what} is not JSON") from exc


def _receipt_ids(body: object) -> tuple[str, ...]:
    if not isinstance(body, list) or not 0 < len(body) <= RECEIPT_MAX_IDS:
        raise ReceiptError("bad_field",
                           f"receipt must be a JSON list of 1..{RECEIPT_MAX_IDS} record ids")
    for n, ident in enumerate(body):
        if not valid_record_id(ident):
            raise ReceiptError("bad_field", f"item {n} is not a record id")
    return tuple(body)


REFUSAL_CODE_MAX_LEN = 32
REFUSAL_KEY = "refused"


class Refusal(NamedTuple):
    """The clinic refused this record for good, for ``code`` (a short reason code)."""

    record_id: str
    code: str


class AckMessage(NamedTuple):
    """One payload on the ``ack`` leaf: a receipt (ids) or a refusal (ids and codes)."""

    receipts: tuple[str, ...] = ()
    refusals: tuple[Refusal, ...] = ()


def valid_refusal_code(value: object) -> bool:
    """Reason codes are 1-32 of ``a-z 0-9 _`` (``mqtt.inbound.Reject`` values)."""
    return isinstance(value, str) and 0 < len(value) <= REFUSAL_CODE_MAX_LEN \
        and all(c.islower() or c.isdigit() or c == "_" for c in value) and value.isascii()


def encode_refusal(items: Sequence[tuple[str, str]]) -> bytes:
    """One refusal payload for 1..RECEIPT_MAX_IDS (record id, code) pairs."""
    if not 0 < len(items) <= RECEIPT_MAX_IDS:
        raise ReceiptError("bad_field",
                           f"a refusal holds 1..{RECEIPT_MAX_IDS} records, not {len(items)}")
    for n, (ident, code) in enumerate(items):
        if not valid_record_id(ident) or not valid_refusal_code(code):
            raise ReceiptError("bad_field", f"item {n} is not a record id and reason code")
    body = {REFUSAL_KEY: [{"id": i, "code": c} for i, c in items]}
    return json.dumps(body, separators=(",", ":")).encode()


def _decode_refusal(body: dict[str, object]) -> tuple[Refusal, ...]:
    items = body.get(REFUSAL_KEY)
    if set(body) != {REFUSAL_KEY} or not isinstance(items, list) \
            or not 0 < len(items) <= RECEIPT_MAX_IDS:
        raise ReceiptError("bad_field", f'a refusal must be {{"{REFUSAL_KEY}": [1..'
                           f'{RECEIPT_MAX_IDS} objects with "id" and "code"]}}')
    out = []
    for n, item in enumerate(items):
        if not isinstance(item, dict) or set(item) != {"id", "code"} \
                or not valid_record_id(item["id"]) or not valid_refusal_code(item["code"]):
            raise ReceiptError("bad_field", f"refusal item {n} is not a record id and code")
        out.append(Refusal(item["id"], item["code"]))
    return tuple(out)


def decode_ack(payload: bytes) -> AckMessage:
    """A receipt (JSON list of ids) or a refusal (JSON object); ReceiptError for anything
    else, the size checked before a byte is parsed."""
    body = _json_body(payload, "ack payload")
    if isinstance(body, dict):
        return AckMessage(refusals=_decode_refusal(body))
    return AckMessage(receipts=_receipt_ids(body))


@dataclass(frozen=True, slots=True)
class ResendPolicy:
    """When a row the broker accepted, but the clinic has not confirmed, is sent again.

    The first resend comes ``first_s`` after the broker's PUBACK; each further one waits
    ``factor`` times longer, up to ``max_s``. After a PUBACK 16 ("no matching subscribers":
    the broker dropped the message) the wait starts at ``unrouted_first_s`` instead: nothing
    is queued anywhere, and the clinic may be re-subscribing right now (Mosquitto 2.0 does
    not restore a persistent session's shared subscription after a restart: until the
    clinic reconnects, its records are answered with 16). After a PUBACK 0 the clinic's
    session holds the copy, so resends are rare and a copy that arrives twice is dropped by
    identifier.

    While no receipt has come since the last resends (the clinic is away), only the
    ``probe_rows`` oldest due rows are resent per round and the others wait for a receipt:
    resending them all would fill the away clinic's broker queue with copies.
    """

    first_s: float = 30.0
    factor: float = 2.0
    max_s: float = 30 * 60.0
    unrouted_first_s: float = 2.0
    probe_rows: int = 10

    def __post_init__(self) -> None:
        if not (0 < self.first_s <= self.max_s and 0 < self.unrouted_first_s <= self.max_s
                and self.factor >= 1.0 and self.probe_rows >= 1):
            raise ValueError("ResendPolicy needs 0 < first_s, unrouted_first_s <= max_s, "
                             "factor >= 1 and probe_rows >= 1")


DEFAULT_RESEND = ResendPolicy()


def resend_delay_s(policy: ResendPolicy, sends: int, unrouted: bool = False) -> float:
    """Seconds to wait for a receipt after the ``sends``-th accepted publish (1, 2, ...);
    ``unrouted``: that PUBACK said 16, no matching subscribers."""
    if sends < 1:
        raise ValueError("sends counts from 1")
    exponent = min(sends - 1, 64)  # 2**64 * anything is past max_s already
    first = policy.unrouted_first_s if unrouted else policy.first_s
    return float(min(policy.max_s, first * policy.factor ** exponent))
