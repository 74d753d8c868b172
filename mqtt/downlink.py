"""What the device does with messages from the clinic: plans, messages, appointments.

Called on paho's network thread; everything lands in the store. Replies (acks,
rejections) go back through ``enqueue`` (the durable outbox) or ``report`` (status).

Plans (``plan`` leaf), therapist messages and appointments (``messages/in``) travel in
Ed25519-signed envelopes that name the clinic and this device (format in
:mod:`therapy.signing`); anything else that would change what the patient sees is
refused: counted in :attr:`Downlink.rejected` (``"<kind>:<code>"``), logged, and reported
on the status topic as ``{"event": "plan_rejected" | "message_rejected", "code", ...}``.
The clinic's delivery receipt for a patient message, ``{"type": "ack", "id": "<uuid>"}``,
is not signed: it only marks that message as delivered and shows nothing new.

A malformed ``clinic_public_key`` does not stop the device: the link runs, records flow,
and every plan, message and appointment is refused with ``key_invalid``;
:attr:`Downlink.key_error` says so for the kiosk ("clinic key invalid: plans cannot be
verified").
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import datetime
from typing import Any, Callable, Sequence

from therapy.clinic_items import MESSAGE_MAX_BYTES, AppointmentCancelled, open_clinic_item
from therapy.audit import Actor, AuditKind, AuditOutcome, record_audit
from therapy.ed25519 import Ed25519PublicKey
from therapy.errors import PlanRejected
from therapy.ports import WallClock
from therapy.records import Appointment, Message
from therapy.signing import (KEY_INVALID_TEXT, ClinicKeyError, Kind, RejectCode, clinic_key,
                             open_envelope, peek_plan_text)
from therapy.store import Channel, OutboxItem, TherapyStore

log = logging.getLogger(__name__)
ACK_ID_MAX = 64


def out_item(record_id: str, body: dict[str, Any]) -> OutboxItem:
    return OutboxItem(Channel.MESSAGES_OUT, record_id, json.dumps(body).encode())


class Downlink:
    """``public_key`` is the key or the ``clinic_public_key`` text (empty: none)."""

    def __init__(self, store: TherapyStore, public_key: Ed25519PublicKey | str | None,
                 clock: WallClock, *, clinic: str, device: str,
                 report: Callable[[dict[str, Any]], None],
                 enqueue: Callable[[Sequence[OutboxItem]], None]) -> None:
        self.store = store
        self.clock = clock
        self.clinic = clinic
        self.device = device
        self.report = report
        self.notify_outbox = enqueue
        self.key_error: str | None = None
        self.rejected: Counter[str] = Counter()
        if isinstance(public_key, str):
            try:
                public_key = clinic_key(public_key)
            except ClinicKeyError as exc:
                log.error("%s; the link runs but %s", exc, KEY_INVALID_TEXT)
                self.key_error = KEY_INVALID_TEXT
                public_key = None
        self.public_key = public_key

    def _key(self) -> Ed25519PublicKey:
        if self.public_key is not None:
            return self.public_key
        if self.key_error:
            raise PlanRejected(RejectCode.KEY_INVALID, self.key_error)
        raise PlanRejected(RejectCode.NO_KEY, "no clinic_public_key configured on the device")

    def _reject(self, kind: str, exc: PlanRejected, event: dict[str, Any]) -> None:
        self.rejected[f"{kind}:{exc.code}"] += 1
        log.warning("%s rejected (%s): %s", kind, exc.code, exc)
        self.report({**event, "code": exc.code, "reason": str(exc)})

    # --- plan ------------------------------------------------------------------------
    def on_plan(self, payload: bytes) -> str:
        """Verify and store a plan; returns "applied", "unchanged" or "rejected"."""
        if not payload:
            return "unchanged"  # retained plan cleared
        current = self.store.current_plan()
        if current is not None and peek_plan_text(payload) == current[1]:
            return "unchanged"  # the retained plan, delivered again on reconnect
        now = self.clock.now()
        try:
            plan, text = open_envelope(payload, self._key(), now=now, clinic=self.clinic,
                                       device=self.device,
                                       current=current[0] if current else None)
        except PlanRejected as exc:
            cur = current[0].version if current else None
            record_audit(self.store, self.device, AuditKind.PLAN_REJECTED, AuditOutcome.FAILURE,
                         actor=Actor.CLINIC, detail=f"{exc.code}: {exc}")
            self._reject(Kind.PLAN, exc, {"event": "plan_rejected", "version": exc.version,
                                          "current_version": cur})
            return "rejected"
        self.store.save_plan(plan, text, now)
        record_audit(self.store, self.device, AuditKind.PLAN_APPLIED, actor=Actor.CLINIC,
                     detail=f"plan {plan.plan_id} version {plan.version}")
        log.info("plan %s version %d applied", plan.plan_id, plan.version)
        self.report({"event": "plan_applied", "version": plan.version})
        return "applied"

    # --- messages and appointments ------------------------------------------------
    def on_message_in(self, payload: bytes) -> str:
        """Store a signed therapist message / appointment and acknowledge it, or mark a
        patient message delivered; returns "message", "appointment", "cancelled", "ack",
        "rejected" (a cancelled appointment is removed from the store)."""
        now = self.clock.now()
        if (ident := _ack_id(payload)) is not None:
            self.store.ack_message(ident, now)
            return "ack"
        try:
            if len(payload) > MESSAGE_MAX_BYTES:
                raise PlanRejected(RejectCode.MALFORMED,
                                   f"messages/in payload is {len(payload)} bytes, too large")
            item = open_clinic_item(payload, self._key(), clinic=self.clinic,
                                    device=self.device, now=now)
        except PlanRejected as exc:
            self._reject("message", exc, {"event": "message_rejected"})
            return "rejected"
        if isinstance(item, Message):
            ack = self._ack(item.id, now)
            if not self.store.save_message(item, [ack]):
                # a copy it already has (the clinic resends what it saw no ack for): not
                # stored twice, acked again so the clinic stops resending it
                self.store.enqueue([ack])
            kind = "message"
        elif isinstance(item, AppointmentCancelled):
            self.store.cancel_appointment(item.id, [self._ack(item.id, now)])
            kind = "cancelled"
        else:
            assert isinstance(item, Appointment)
            self.store.save_appointment(item)
            self.store.enqueue([self._ack(item.id, now)])
            kind = "appointment"
        self.notify_outbox(())
        return kind

    def _ack(self, ident: str, now: datetime) -> OutboxItem:
        return out_item(f"ack-{ident}", {"type": "ack", "id": ident, "at": now.isoformat()})


def _ack_id(payload: bytes) -> str | None:
    """The id of a clinic receipt ``{"type": "ack", "id": ...}``, else None."""
    if len(payload) > 256:
        return None
    try:
        body = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(body, dict) or body.get("type") != "ack":
        return None
    ident = body.get("id")
    return ident if isinstance(ident, str) and 0 < len(ident) <= ACK_ID_MAX else None
