"""Recording consent and the kiosk's own call audit in the visit view-model (fake call
adapter, a real TherapyStore): a record request asks the patient; only yes records, no or
no answer within the limit is a no; the patient's Stop and the therapist's stop end it;
every step of the call lands in the kiosk's audit table and its outbox as a valid FHIR R4
AuditEvent (the records channel the kiosk already delivers to the clinic)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from pathlib import Path

from kiosk.vm.visit import Phase
from mqtt.visit import (
    HangUp,
    Offer,
    RecordConsent,
    RecordRequest,
    Refused,
    RecordStop,
)
from therapy.audit import Actor, AuditKind, AuditOutcome, record_audit
from therapy.outbox import Channel
from therapy.store import TherapyStore

from tests.helpers.fake_visit import FakeVisit

OFFER = Offer("call-1", "appt-1", "v=0\r\n", "c1", "dev-a", datetime.now(timezone.utc))


class World:
    def __init__(self, store: TherapyStore | None = None, answer_s: float = 30.0) -> None:
        def audit(kind: AuditKind, outcome: AuditOutcome, actor: Actor, detail: str) -> None:
            assert store is not None
            record_audit(store, "dev-a", kind, outcome, actor=actor, detail=detail)

        visit = FakeVisit(record_answer_s=answer_s, audit=audit if store is not None else None)
        self.vm, self.calls, self.sent = visit.vm, visit.calls, visit.sent

    async def in_call(self) -> None:
        self.vm.offered(OFFER)
        await self.vm.accept()
        self.calls[-1].connect()
        assert self.vm.phase == Phase.IN_CALL


async def test_no_answer_within_the_limit_is_a_no() -> None:
    w = World(answer_s=0.05)
    await w.in_call()
    w.vm.signal(RecordRequest("call-1"))
    assert w.vm.view().record_prompt
    await asyncio.sleep(0.2)
    assert not w.vm.record_prompt and not w.vm.recording
    assert w.sent[-1] == RecordConsent("call-1", False)
    w.vm.consent_recording(True)  # a late touch changes nothing
    assert w.sent[-1] == RecordConsent("call-1", False) and not w.vm.recording


async def test_the_patient_stops_the_recording_any_time() -> None:
    w = World()
    await w.in_call()
    w.vm.signal(RecordRequest("call-1"))
    w.vm.signal(RecordRequest("call-1"))  # a second request while asking: one question
    w.vm.consent_recording(True)
    assert w.vm.view().recording and w.sent[-1] == RecordConsent("call-1", True)
    w.vm.stop_recording()
    assert not w.vm.view().recording and w.sent[-1] == RecordStop("call-1")
    n = len(w.sent)
    w.vm.stop_recording()  # nothing running: nothing sent
    assert len(w.sent) == n
    # the therapist asks again and stops it from the dashboard
    w.vm.signal(RecordRequest("call-1"))
    w.vm.consent_recording(True)
    w.vm.signal(RecordStop("call-1"))
    assert not w.vm.recording and len(w.sent) == n + 1  # only the consent went up


async def test_no_record_request_before_the_call_is_connected() -> None:
    w = World()
    w.vm.offered(OFFER)
    w.vm.signal(RecordRequest("call-1"))
    assert not w.vm.record_prompt and w.vm.ignored_ == 1


async def test_every_step_of_a_call_is_in_the_kiosk_audit_and_its_outbox(
        tmp_path: Path) -> None:
    from fhir.resources.R4B.auditevent import AuditEvent

    store = TherapyStore(tmp_path / "rehab.db")
    w = World(store)
    await w.in_call()
    w.vm.signal(RecordRequest("call-1"))
    w.vm.consent_recording(True)
    w.vm.stop_recording()
    w.vm.signal(RecordRequest("call-1"))
    w.vm.consent_recording(False)
    w.vm.signal(HangUp("call-1", "end of the appointment"))
    await asyncio.sleep(0.05)
    assert w.vm.phase == Phase.ENDED
    w.vm.dismiss()
    w.vm.offered(OFFER)  # a second call the patient declines
    w.vm.decline()
    w.vm.refused(Refused("call-2", "unscheduled", "appointment appt-9 is not scheduled"))

    got = [(r.kind, r.outcome, r.actor) for r in store.audit_records()]
    ok, no = AuditOutcome.SUCCESS, AuditOutcome.FAILURE
    assert got == [
        (AuditKind.VISIT_OFFERED, ok, Actor.CLINIC),
        (AuditKind.VISIT_CONSENT, ok, Actor.PATIENT),
        (AuditKind.VISIT_CONNECTED, ok, Actor.DEVICE),
        (AuditKind.RECORDING_ASKED, ok, Actor.CLINIC),
        (AuditKind.RECORDING_ANSWERED, ok, Actor.PATIENT),
        (AuditKind.RECORDING_STOPPED, ok, Actor.PATIENT),
        (AuditKind.RECORDING_ASKED, ok, Actor.CLINIC),
        (AuditKind.RECORDING_ANSWERED, no, Actor.PATIENT),
        (AuditKind.VISIT_ENDED, ok, Actor.CLINIC),
        (AuditKind.VISIT_OFFERED, ok, Actor.CLINIC),
        (AuditKind.VISIT_CONSENT, no, Actor.PATIENT),
        (AuditKind.VISIT_OFFERED, no, Actor.CLINIC),
    ]
    details = [r.detail for r in store.audit_records()]
    assert details[0] == "call call-1, appointment appt-1: ringing"
    assert details[4].endswith("record: yes") and details[7].endswith("record: no")
    assert "the therapist hung up" not in details[8] and "end of the appointment" in details[8]
    assert details[-1] == ("call call-2: refused, unscheduled: appointment appt-9 is not "
                           "scheduled")

    # each one queued for the clinic as a valid R4 AuditEvent, in the same order
    items = [i for i in store.outbox_batch(limit=100) if i.channel == Channel.RECORDS]
    events = [json.loads(i.payload) for i in items]
    assert [e["subtype"][-1]["code"] for e in events] == [str(k) for k, _o, _a in got]
    for e in events:
        AuditEvent.model_validate(e)
    assert events[8]["agent"][0]["who"]["display"] == "clinic at the kiosk"


async def test_a_call_that_cannot_connect_is_audited_as_a_failure_by_the_device(
        tmp_path: Path) -> None:
    store = TherapyStore(tmp_path / "rehab.db")
    w = World(store)
    w.vm.connect_timeout_s = 0.05
    w.vm.offered(OFFER)
    await w.vm.accept()
    await asyncio.sleep(0.2)
    last = store.audit_records()[-1]
    assert (last.kind, last.outcome, last.actor) == (
        AuditKind.VISIT_ENDED, AuditOutcome.FAILURE, Actor.DEVICE)
    assert "no connection within 0.05 s" in last.detail
