"""Ed25519-signed plan envelopes: what travels on the plan topic.

Envelope (UTF-8 JSON)::

    {"format": "rehab-plan/1", "plan": "<the plan JSON, as a string>",
     "sig": "<base64 Ed25519 signature over the UTF-8 bytes of 'plan'>"}

The signature covers the exact bytes of the embedded plan text, so no JSON
canonicalisation is needed. Keys are raw 32-byte Ed25519 keys, written base64 in files and
in ``rehab.toml`` (``clinic_public_key``). :func:`open_envelope` checks the signature, then
the plan (:func:`therapy.plan.parse_plan_bytes`), then version and dates against the
current plan, raising :class:`~therapy.errors.PlanRejected` with a short ``code``.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from therapy.errors import PlanError, PlanRejected
from therapy.plan import MAX_PLAN_BYTES, Plan, parse_plan_bytes

ENVELOPE_FORMAT = "rehab-plan/1"
ENVELOPE_MAX_BYTES = 2 * MAX_PLAN_BYTES


class RejectCode:
    """Short reasons reported on the status topic."""

    MALFORMED = "malformed"
    UNSIGNED = "unsigned"
    BAD_SIGNATURE = "bad_signature"
    INVALID = "invalid"
    OLDER = "older_version"
    EXPIRED = "expired"


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_to_b64(key: Ed25519PrivateKey) -> str:
    from cryptography.hazmat.primitives import serialization as s

    raw = key.private_bytes(s.Encoding.Raw, s.PrivateFormat.Raw, s.NoEncryption())
    return base64.b64encode(raw).decode()


def public_key_to_b64(key: Ed25519PublicKey) -> str:
    from cryptography.hazmat.primitives import serialization as s

    return base64.b64encode(key.public_bytes(s.Encoding.Raw, s.PublicFormat.Raw)).decode()


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


def seal(plan_text: str, key: Ed25519PrivateKey) -> bytes:
    """The signed envelope for ``plan_text`` (validate it first with parse_plan_bytes)."""
    sig = key.sign(plan_text.encode())
    env = {"format": ENVELOPE_FORMAT, "plan": plan_text, "sig": base64.b64encode(sig).decode()}
    return json.dumps(env).encode()


def open_envelope(raw: bytes, key: Ed25519PublicKey, *, now: datetime,
                  current: Plan | None = None) -> tuple[Plan, str]:
    """Verify an envelope; returns the plan and its text, or raises PlanRejected.

    ``current`` is the plan in force: a plan whose version is not newer is rejected
    (``older_version``). A plan whose ``valid_until`` has passed is ``expired``.
    """
    if len(raw) > ENVELOPE_MAX_BYTES:
        raise PlanRejected(RejectCode.MALFORMED, f"envelope is {len(raw)} bytes, too large")
    try:
        env = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise PlanRejected(RejectCode.MALFORMED, f"envelope is not JSON ({exc})") from exc
    if not isinstance(env, dict) or env.get("format") != ENVELOPE_FORMAT:
        raise PlanRejected(RejectCode.MALFORMED, f"envelope format is not {ENVELOPE_FORMAT}")
    text, sig_b64 = env.get("plan"), env.get("sig")
    if not isinstance(text, str):
        raise PlanRejected(RejectCode.MALFORMED, "envelope has no plan text")
    if not isinstance(sig_b64, str) or not sig_b64:
        raise PlanRejected(RejectCode.UNSIGNED, "plan is not signed")
    try:
        sig = base64.b64decode(sig_b64, validate=True)
        key.verify(sig, text.encode())
    except (binascii.Error, ValueError, InvalidSignature) as exc:
        raise PlanRejected(RejectCode.BAD_SIGNATURE,
                           "signature does not match the clinic's key") from exc
    try:
        plan = parse_plan_bytes(text.encode())
    except PlanError as exc:
        raise PlanRejected(RejectCode.INVALID, f"invalid plan: {exc}") from exc
    if current is not None and plan.version <= current.version:
        raise PlanRejected(RejectCode.OLDER, f"version {plan.version} is not newer than "
                           f"the current {current.version}", plan.version)
    if plan.valid_until <= now:
        raise PlanRejected(RejectCode.EXPIRED,
                           f"plan expired at {plan.valid_until.isoformat()}", plan.version)
    return plan, text
