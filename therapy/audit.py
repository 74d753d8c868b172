"""Security audit trail (pure): what happened, to whom, with what outcome.

Every security event on the device (unlock, failed PIN, lockout, PIN or installer-code
change, settings change, pairing, plan applied or rejected, export) becomes an
:class:`AuditRecord`. :func:`record_audit` writes it to the ``audit`` table of ``rehab.db``
and, in the same transaction, queues it in the outbox as a FHIR R4 ``AuditEvent``
(:func:`therapy.fhir.audit_event`), so the clinic receives the trail as it receives sessions.

A detail never holds a secret (no PIN, code or password): callers pass what changed, not
the values of secrets. Usage from the clinic link (one line, e.g. in ``mqtt/downlink.py``)::

    record_audit(store, device_id, AuditKind.PLAN_REJECTED, AuditOutcome.FAILURE,
                 actor=Actor.CLINIC, detail=f"{exc.code}: {exc}")
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import StrEnum
from typing import Protocol, Sequence

from therapy import fhir
from therapy.outbox import Channel, OutboxItem
from therapy.records import new_id

MAX_DETAIL_LEN = 500  # characters kept of a detail (a reason text can be long)


class AuditKind(StrEnum):
    UNLOCKED = "unlocked"  # the patient's PIN opened the kiosk
    PIN_FAILED = "pin_failed"
    LOCKED_OUT = "locked_out"  # too many wrong PINs or codes: keypad blocked for a while
    LOCKED = "locked"  # inactivity or the Lock button
    CODE_ACCEPTED = "code_accepted"  # the installer code opened Settings
    CODE_FAILED = "code_failed"
    PIN_SET = "pin_set"  # first run, or the installer from a terminal
    PIN_CHANGED = "pin_changed"  # the patient, with the old PIN
    CODE_SET = "code_set"  # installer code provisioned
    SETTINGS_CHANGED = "settings_changed"
    SETTINGS_DAMAGED = "settings_damaged"  # kiosk.json unreadable: kiosk refused to open
    PAIRING_CHANGED = "pairing_changed"  # a wearable paired or forgotten
    PLAN_APPLIED = "plan_applied"
    PLAN_REJECTED = "plan_rejected"
    EXPORT = "export"
    # video visits (issue 16, kiosk/vm/visit.py): the kiosk's own record of each call
    VISIT_OFFERED = "visit_offered"  # a call rang (success) or was refused (failure: why)
    VISIT_CONSENT = "visit_consent"  # camera and microphone: the patient's yes or no
    VISIT_CONNECTED = "visit_connected"
    VISIT_ENDED = "visit_ended"  # actor: who ended it; detail: why
    RECORDING_ASKED = "recording_asked"  # the therapist asked to record
    RECORDING_ANSWERED = "recording_answered"  # yes (success), no or no answer (failure)
    RECORDING_STOPPED = "recording_stopped"  # actor: who stopped it (device: the call ended)


class AuditOutcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"


class Actor(StrEnum):
    PATIENT = "patient"
    INSTALLER = "installer"  # installer or clinician at the kiosk (installer code)
    TERMINAL = "terminal"  # someone with a shell on the device (rehab kiosk ...)
    CLINIC = "clinic"  # the clinic, over the link (plans)
    DEVICE = "device"  # the kiosk itself (auto-lock, damaged settings)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: str
    at: datetime
    kind: AuditKind
    outcome: AuditOutcome
    actor: Actor
    detail: str = ""


class AuditSink(Protocol):
    """Where audit records go: ``TherapyStore.save_audit`` (record + outbox, one transaction)."""

    def save_audit(self, rec: AuditRecord, outbox: Sequence[OutboxItem] = ()) -> None: ...


def new_audit(kind: AuditKind, outcome: AuditOutcome = AuditOutcome.SUCCESS,
              actor: Actor = Actor.PATIENT, detail: str = "",
              at: datetime | None = None) -> AuditRecord:
    when = at if at is not None else datetime.now(timezone.utc).astimezone()
    return AuditRecord(new_id(), when, AuditKind(kind), AuditOutcome(outcome), Actor(actor),
                       detail[:MAX_DETAIL_LEN])


def audit_item(rec: AuditRecord, device_id: str) -> OutboxItem:
    """The record as an outbox row: a FHIR AuditEvent on the records channel."""
    body = fhir.audit_event(rec.id, rec.at, str(rec.kind), rec.outcome == AuditOutcome.SUCCESS,
                            str(rec.actor), rec.detail, device_id)
    return OutboxItem(Channel.RECORDS, rec.id, json.dumps(body, separators=(",", ":")).encode())


def record_audit(sink: AuditSink, device_id: str, kind: AuditKind,
                 outcome: AuditOutcome = AuditOutcome.SUCCESS, *,
                 actor: Actor = Actor.PATIENT, detail: str = "",
                 at: datetime | None = None) -> AuditRecord:
    """Write one audit record and its AuditEvent outbox row in one transaction."""
    rec = new_audit(kind, outcome, actor, detail, at)
    sink.save_audit(rec, [audit_item(rec, device_id)])
    return rec
