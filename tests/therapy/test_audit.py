"""Security audit trail (issue 12, finding 8): every kind of event becomes a row of the
``audit`` table and, in the same transaction, a FHIR R4 AuditEvent in the outbox that
validates (fhir.resources R4B) and that the clinic store keeps once by its id."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from clinic.store import ClinicStore
from mqtt.inbound import check_record
from therapy.audit import Actor, AuditKind, AuditOutcome, record_audit
from therapy.fhir import resource_identifier
from therapy.store import TherapyStore

T0 = datetime(2026, 11, 29, 9, 30, tzinfo=timezone(timedelta(hours=1)))


@pytest.mark.parametrize("kind", list(AuditKind))
def test_every_audit_kind_is_a_valid_r4_audit_event(tmp_path: Path, kind: AuditKind) -> None:
    from fhir.resources.R4B.auditevent import AuditEvent

    store = TherapyStore(tmp_path / "rehab.db")
    outcome = AuditOutcome.FAILURE if kind.endswith(("failed", "rejected", "out")) \
        else AuditOutcome.SUCCESS
    rec = record_audit(store, "dev-7", kind, outcome, actor=Actor.INSTALLER,
                       detail="why: a reason", at=T0)
    (row,) = store.outbox_batch()
    assert row.record_id == rec.id and str(row.channel) == "records"
    body = json.loads(row.payload)
    ev = AuditEvent.model_validate(body)  # R4B: required type, recorded, agent, source
    assert ev.id == rec.id and resource_identifier(body) == f"urn:uuid:{rec.id}"
    assert ev.outcome == ("4" if outcome == AuditOutcome.FAILURE else "0")
    assert ev.outcomeDesc == "why: a reason"
    assert ev.subtype[-1].code == str(kind)
    assert ev.source.observer.identifier.value == "dev-7"
    assert ev.recorded.isoformat().startswith("2026-11-29T09:30:00")
    check_record(body)  # what the clinic's ingest checks first
    assert [(a.kind, a.outcome, a.actor, a.detail) for a in store.audit_records()] == [
        (kind, outcome, Actor.INSTALLER, "why: a reason")]
    store.close()


def test_audit_row_and_outbox_row_commit_together(tmp_path: Path) -> None:
    """A failed outbox insert leaves no audit row behind (one transaction)."""
    store = TherapyStore(tmp_path / "rehab.db")
    record_audit(store, "dev-7", AuditKind.UNLOCKED, at=T0)
    store._db.execute("CREATE TRIGGER no_outbox BEFORE INSERT ON outbox "
                      "BEGIN SELECT RAISE(ABORT, 'outbox refused'); END")
    with pytest.raises(sqlite3.IntegrityError):
        record_audit(store, "dev-7", AuditKind.PIN_FAILED, AuditOutcome.FAILURE, at=T0)
    assert [a.kind for a in store.audit_records()] == [AuditKind.UNLOCKED]
    assert store.outbox_count() == 1
    store.close()


def test_failure_run_counts_since_the_last_reset(tmp_path: Path) -> None:
    store = TherapyStore(tmp_path / "rehab.db")
    resets = (AuditKind.UNLOCKED, AuditKind.PIN_SET)
    assert store.audit_failure_run(AuditKind.PIN_FAILED, resets) == (0, None)
    for i in range(3):
        record_audit(store, "d", AuditKind.PIN_FAILED, AuditOutcome.FAILURE,
                     at=T0 + timedelta(seconds=i))
    record_audit(store, "d", AuditKind.CODE_FAILED, AuditOutcome.FAILURE, at=T0)  # other gate
    assert store.audit_failure_run(AuditKind.PIN_FAILED, resets) == (3, T0 + timedelta(seconds=2))
    record_audit(store, "d", AuditKind.UNLOCKED, at=T0 + timedelta(seconds=5))
    record_audit(store, "d", AuditKind.PIN_FAILED, AuditOutcome.FAILURE,
                 at=T0 + timedelta(seconds=6))
    assert store.audit_failure_run(AuditKind.PIN_FAILED, resets) == (1, T0 + timedelta(seconds=6))
    store.close()


def test_clinic_store_keeps_an_audit_event_once(tmp_path: Path) -> None:
    store = TherapyStore(tmp_path / "rehab.db")
    record_audit(store, "dev-7", AuditKind.PLAN_REJECTED, AuditOutcome.FAILURE,
                 actor=Actor.CLINIC, detail="older_version: version 3", at=T0)
    body = json.loads(store.outbox_batch()[0].payload)
    clinic = ClinicStore(tmp_path / "clinic.db")
    assert clinic.add_resource("dev-7", body) is True
    assert clinic.add_resource("dev-7", body) is False  # a resend is dropped by its id
    assert [r["outcomeDesc"] for r in clinic.resources("AuditEvent")] == [
        "older_version: version 3"]
    clinic.close()
    store.close()


def test_plans_applied_and_rejected_at_the_downlink_are_audited(tmp_path: Path) -> None:
    from tests.helpers.plan_samples import valid_plan

    from mqtt.downlink import Downlink
    from therapy.ports import FakeClock
    from therapy.signing import new_private_key, public_key_to_b64, seal

    key = new_private_key()
    now = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
    store = TherapyStore(tmp_path / "rehab.db")
    down = Downlink(store, public_key_to_b64(key.public_key()), FakeClock(now), clinic="c1",
                    device="dev-7", report=lambda _e: None, enqueue=lambda _i: None)
    good = seal(json.dumps(valid_plan(version=1)), key, clinic="c1", device="dev-7",
                issued_at=now)
    other = seal(json.dumps(valid_plan(version=2)), key, clinic="c1", device="dev-8",
                 issued_at=now)
    assert down.on_plan(good) == "applied" and down.on_plan(other) == "rejected"
    applied, rejected = store.audit_records()
    assert (applied.kind, applied.actor, applied.detail) == (
        AuditKind.PLAN_APPLIED, Actor.CLINIC, "plan p-17 version 1")
    assert rejected.kind == AuditKind.PLAN_REJECTED and rejected.outcome == AuditOutcome.FAILURE
    assert rejected.detail.startswith("wrong_device: ") and "dev-8" in rejected.detail
    kinds = [json.loads(r.payload).get("resourceType") for r in store.outbox_batch()]
    assert kinds.count("AuditEvent") == 2
    store.close()
