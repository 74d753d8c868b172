"""Ed25519-signed envelopes: everything the clinic sends that changes what the patient sees.

Envelope (UTF-8 JSON, format ``rehab-signed/2``)::

    {"format": "rehab-signed/2", "body": "<JSON text>", "sig": "<base64 Ed25519 over body>"}

The signature covers the exact UTF-8 bytes of ``body`` (no JSON canonicalisation). The
body is a JSON object that NAMES the clinic and the device it is meant for, so an envelope
made for one patient is refused by every other device::

    {"kind": "plan", "clinic": "clinic-01", "device": "dev-7f3a",
     "issued_at": "2026-01-05T09:00:00+00:00", "plan": "<the plan JSON, as a string>"}
    {"kind": "message", ..., "id": "<uuid>", "text": "...", "at": "<ISO time>"}
    {"kind": "appointment", ..., "id": "<uuid>", "start_at": "<ISO time>", "minutes": 30}

Keys are raw 32-byte Ed25519 keys, written base64 in files and in ``rehab.toml``
(``clinic_public_key``). :func:`open_signed` checks size, format, signature, kind, clinic,
device and ``issued_at``; :func:`open_envelope` then the plan and its version and dates
against the plan in force. Every refusal is a :class:`~therapy.errors.PlanRejected` with a
short ``code`` (:class:`RejectCode`). Bounds (documented in docs/clinic-link.md):

* a plan's version may rise by at most :data:`MAX_VERSION_STEP` over the plan in force
  (over 0 on a device with no plan), and 2**31 - 1 is never accepted, so no single push can
  block every later plan;
* a device with no plan accepts only a plan issued in the last :data:`FRESH_PLAN_DAYS`
  days (an old, still unexpired plan of this device cannot be replayed onto a reset
  device); nothing is accepted that was issued more than :data:`CLOCK_SKEW` ahead of the
  device's clock.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Mapping

from therapy.dates import check_time, parse_time
from therapy.ed25519 import Ed25519PrivateKey, Ed25519PublicKey, InvalidSignature
from therapy.errors import PlanError, PlanRejected
from therapy.plan import MAX_PLAN_BYTES, Plan, parse_plan_bytes

ENVELOPE_FORMAT = "rehab-signed/2"
OLD_PLAN_FORMAT = "rehab-plan/1"  # unbound plan envelopes of earlier versions: refused
ENVELOPE_MAX_BYTES = 4 * MAX_PLAN_BYTES + 4096  # plan text escaped twice (" -> \\\"), header
MAX_VERSION_STEP = 1000
FRESH_PLAN_DAYS = 30
CLOCK_SKEW = timedelta(days=1)
KEY_SETTING = "clinic_public_key"
KEY_INVALID_TEXT = "clinic key invalid: plans cannot be verified"


class Kind(StrEnum):
    PLAN = "plan"
    MESSAGE = "message"
    APPOINTMENT = "appointment"
    VISIT = "visit"  # a virtual visit's call offer (mqtt/visit.py, docs/visits.md)


class RejectCode:
    """Short reasons reported on the status topic."""

    MALFORMED = "malformed"
    UNSIGNED = "unsigned"
    UNBOUND = "unbound"  # an old envelope that names no clinic and device
    BAD_SIGNATURE = "bad_signature"
    WRONG_KIND = "wrong_kind"
    WRONG_CLINIC = "wrong_clinic"
    WRONG_DEVICE = "wrong_device"
    FROM_FUTURE = "from_future"
    STALE = "stale"
    INVALID = "invalid"
    OLDER = "older_version"
    VERSION_JUMP = "version_jump"
    EXPIRED = "expired"
    NO_KEY = "no_key"
    KEY_INVALID = "key_invalid"


class ClinicKeyError(PlanError):
    """``clinic_public_key`` in rehab.toml is not a usable key (the message names it)."""


@dataclass(frozen=True, slots=True)
class Signed:
    """A verified envelope: who it is from and for, when it was issued, its body."""

    kind: Kind
    clinic: str
    device: str
    issued_at: datetime
    body: Mapping[str, Any]


# --- keys -------------------------------------------------------------------------------
def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_to_b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.private_bytes_raw()).decode()


def public_key_to_b64(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes_raw()).decode()


def private_key_from_b64(text: str) -> Ed25519PrivateKey:
    try:
        return Ed25519PrivateKey.from_private_bytes(base64.b64decode(text.strip(), validate=True))
    except (ValueError, binascii.Error) as exc:
        raise PlanError(f"not a base64 raw Ed25519 private key ({exc})") from exc


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text.strip(), validate=True))
    except (ValueError, binascii.Error) as exc:
        raise PlanError(f"not a base64 raw Ed25519 public key ({exc})") from exc


def clinic_key(text: str) -> Ed25519PublicKey | None:
    """The ``clinic_public_key`` setting: None when empty, else the key or a
    :class:`ClinicKeyError` naming the setting (the key itself is public: no secret)."""
    if not text.strip():
        return None
    try:
        return public_key_from_b64(text)
    except PlanError as exc:
        raise ClinicKeyError(
            f"{KEY_SETTING} in rehab.toml is not a base64 raw 32-byte Ed25519 public key: "
            "copy the line `rehab clinic keygen` printed") from exc


# --- sealing (clinic side) -------------------------------------------------------------
def seal_body(kind: Kind, fields: Mapping[str, Any], key: Ed25519PrivateKey, *, clinic: str,
              device: str, issued_at: datetime) -> bytes:
    """The signed envelope of ``fields`` for one device of one clinic."""
    body = {**fields, "kind": str(kind), "clinic": clinic, "device": device,  # cannot be
            "issued_at": check_time(issued_at, "issued_at").isoformat()}  # overridden
    text = json.dumps(body, ensure_ascii=False)
    sig = base64.b64encode(key.sign(text.encode())).decode()
    return json.dumps({"format": ENVELOPE_FORMAT, "body": text, "sig": sig},
                      ensure_ascii=False).encode()


def seal(plan_text: str, key: Ed25519PrivateKey, *, clinic: str, device: str,
         issued_at: datetime) -> bytes:
    """The signed plan envelope (validate ``plan_text`` first with parse_plan_bytes)."""
    return seal_body(Kind.PLAN, {"plan": plan_text}, key, clinic=clinic, device=device,
                     issued_at=issued_at)


# --- opening (device side) -------------------------------------------------------------
def open_signed(raw: bytes, key: Ed25519PublicKey, *, kinds: tuple[Kind, ...], clinic: str,
                device: str, now: datetime) -> Signed:
    """Verify an envelope of one of ``kinds`` made for ``device`` of ``clinic``;
    PlanRejected otherwise."""
    kind = "/".join(kinds)
    if len(raw) > ENVELOPE_MAX_BYTES:
        raise PlanRejected(RejectCode.MALFORMED, f"envelope is {len(raw)} bytes, too large")
    env = _json_object(raw, "envelope")
    fmt = env.get("format")
    if fmt not in (ENVELOPE_FORMAT, OLD_PLAN_FORMAT):
        if env.get("type") in (Kind.MESSAGE, Kind.APPOINTMENT) and "sig" not in env:
            raise PlanRejected(RejectCode.UNSIGNED, f"{env.get('type')} is not signed")
        raise PlanRejected(RejectCode.MALFORMED, f"envelope format is not {ENVELOPE_FORMAT}")
    sig_b64 = env.get("sig")
    if not isinstance(sig_b64, str) or not sig_b64:
        raise PlanRejected(RejectCode.UNSIGNED, f"{kind} is not signed")
    if fmt == OLD_PLAN_FORMAT:
        raise PlanRejected(RejectCode.UNBOUND, f"{OLD_PLAN_FORMAT} names no clinic and "
                           "device: push it again with this version of rehab")
    text = env.get("body")
    if not isinstance(text, str):
        raise PlanRejected(RejectCode.MALFORMED, "envelope has no body text")
    try:
        key.verify(base64.b64decode(sig_b64, validate=True), text.encode())
    except (binascii.Error, ValueError, InvalidSignature) as exc:
        raise PlanRejected(RejectCode.BAD_SIGNATURE,
                           "signature does not match the clinic's key") from exc
    body = _json_object(text.encode(), "body")
    if body.get("kind") not in kinds:
        raise PlanRejected(RejectCode.WRONG_KIND, f"a {body.get('kind')!r:.20} envelope "
                           f"where a {kind} was expected")
    if body.get("clinic") != clinic:
        raise PlanRejected(RejectCode.WRONG_CLINIC,
                           f"made for clinic {body.get('clinic')!r:.70}, not {clinic!r}")
    if body.get("device") != device:
        raise PlanRejected(RejectCode.WRONG_DEVICE,
                           f"made for device {body.get('device')!r:.70}, not {device!r}")
    try:
        issued = parse_time(body.get("issued_at"), "issued_at")
    except PlanError as exc:
        raise PlanRejected(RejectCode.INVALID, str(exc)) from exc
    if issued > now + CLOCK_SKEW:
        raise PlanRejected(RejectCode.FROM_FUTURE, f"issued at {issued.isoformat()}, more "
                           f"than {CLOCK_SKEW} ahead of this device's clock")
    return Signed(Kind(body["kind"]), clinic, device, issued, body)


def peek_plan_text(raw: bytes) -> str | None:
    """The plan text inside an envelope, UNVERIFIED (only to notice the plan in force
    delivered again); None when there is none."""
    if len(raw) > ENVELOPE_MAX_BYTES:
        return None
    try:
        env = json.loads(raw)
        body = json.loads(env["body"]) if isinstance(env, dict) else None
        text = body.get("plan") if isinstance(body, dict) else None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError):
        return None
    return text if isinstance(text, str) else None


def open_envelope(raw: bytes, key: Ed25519PublicKey, *, now: datetime, clinic: str,
                  device: str, current: Plan | None = None) -> tuple[Plan, str]:
    """Verify a plan envelope; returns the plan and its text, or raises PlanRejected.

    ``current`` is the plan in force: a plan whose version is not newer is rejected
    (``older_version``), one more than MAX_VERSION_STEP newer too (``version_jump``).
    Without a current plan, the envelope must be issued in the last FRESH_PLAN_DAYS days
    (``stale``). A plan whose ``valid_until`` has passed is ``expired``.
    """
    signed = open_signed(raw, key, kinds=(Kind.PLAN,), clinic=clinic, device=device, now=now)
    text = signed.body.get("plan")
    if not isinstance(text, str):
        raise PlanRejected(RejectCode.MALFORMED, "envelope has no plan text")
    try:
        plan = parse_plan_bytes(text.encode())
    except PlanError as exc:
        raise PlanRejected(RejectCode.INVALID, f"invalid plan: {exc}") from exc
    base = current.version if current is not None else 0
    if current is not None and plan.version <= current.version:
        raise PlanRejected(RejectCode.OLDER, f"version {plan.version} is not newer than "
                           f"the current {current.version}", plan.version)
    if plan.version - base > MAX_VERSION_STEP:
        raise PlanRejected(RejectCode.VERSION_JUMP, f"version {plan.version} is more than "
                           f"{MAX_VERSION_STEP} above {base}", plan.version)
    if current is None and signed.issued_at < now - timedelta(days=FRESH_PLAN_DAYS):
        raise PlanRejected(RejectCode.STALE, f"issued {signed.issued_at.isoformat()}, more "
                           f"than {FRESH_PLAN_DAYS} days ago, and this device has no plan "
                           "yet: push it again", plan.version)
    if plan.valid_until <= now:
        raise PlanRejected(RejectCode.EXPIRED,
                           f"plan expired at {plan.valid_until.isoformat()}", plan.version)
    return plan, text


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise PlanRejected(RejectCode.MALFORMED,
                           f"{what} is not JSON ({exc.__class__.__name__})") from exc
    if not isinstance(obj, dict):
        raise PlanRejected(RejectCode.MALFORMED, f"{what} is not a JSON object")
    return obj
