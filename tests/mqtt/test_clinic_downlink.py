"""Clinic -> device over a real broker: signed plans, messages, appointments; and back."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from tests.helpers.link_helpers import signed_link_dirs, start_watcher, wait_for
from tests.helpers.rehab_broker import Broker

from clinic.link import publish_once
from mqtt.config import load_config
from mqtt.device import DeviceLink
from rehab.cli import main
from therapy.records import Direction
from therapy.signing import private_key_from_b64
from therapy.signing import seal as seal_for
from therapy.store import TherapyStore

from tests.helpers.plan_samples import valid_plan  # noqa: E402

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def setup(tmp_path: Path, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    broker = Broker(tmp_path / "broker").start()
    clinic_dir, dev_dir = tmp_path / "clinic", tmp_path / "dev"
    signed_link_dirs(clinic_dir, dev_dir, broker.url, capsys)
    events: list[tuple[str, str, dict]] = []
    watcher = start_watcher(clinic_dir, broker.url,
                            on_event=lambda d, leaf, body: events.append((d, leaf, body)))
    store = TherapyStore(dev_dir / "rehab.db")
    link = DeviceLink(load_config(dev_dir), store, reconnect_max_s=1)
    link.start()
    assert link.wait_connected(10)
    yield broker, clinic_dir, dev_dir, store, link, watcher, events
    link.stop()
    watcher.stop()
    broker.stop()


def _push(clinic_dir: Path, tmp: Path, plan: dict, device: str = "dev-1") -> int:
    path = tmp / f"plan-{plan['version']}.json"
    path.write_text(json.dumps(plan))
    return main(["clinic", "plan", "push", "--device", device, str(path), "--data-dir",
                 str(clinic_dir)])


def test_signed_plans_applied_and_bad_ones_rejected(setup, tmp_path: Path) -> None:
    broker, clinic_dir, _dev, store, link, _w, events = setup
    assert _push(clinic_dir, tmp_path, valid_plan(version=2)) == 0
    wait_for(store.current_plan, 10, "the plan to be stored")
    assert store.current_plan()[0].version == 2  # type: ignore[index]
    key = private_key_from_b64((clinic_dir / "clinic_ed25519.key").read_text())
    cfg = load_config(clinic_dir, require_device=False)
    topic = "rehab/v1/c1/dev-1/plan"

    def send(payload: bytes) -> None:
        publish_once(cfg.broker, "tool", topic, payload, retain=True)

    def seal(text: str, key: object) -> bytes:
        return seal_for(text, key, clinic="c1", device="dev-1",  # type: ignore[arg-type]
                        issued_at=datetime.now(timezone.utc))

    good3 = seal(json.dumps(valid_plan(version=3)), key)
    tampered = json.loads(good3)
    tampered["body"] = tampered["body"].replace('\\"reps\\": 8', '\\"reps\\": 99')
    unsigned = {k: v for k, v in json.loads(good3).items() if k != "sig"}
    expired = seal(json.dumps(valid_plan(version=4, valid_until="2026-01-02T00:00:00Z")), key)
    older = seal(json.dumps(valid_plan(version=1)), key)
    invalid = seal(json.dumps({**valid_plan(version=5), "exercises": []}), key)
    cases = [(json.dumps(tampered).encode(), "bad_signature"),
             (json.dumps(unsigned).encode(), "unsigned"), (expired, "expired"),
             (older, "older_version"), (invalid, "invalid"), (b"not json", "malformed")]
    for payload, code in cases:
        send(payload)
        wait_for(lambda c=code: any(b.get("code") == c for _d, leaf, b in events
                                    if leaf == "status"), 10, f"rejection {code}")
        assert store.current_plan()[0].version == 2  # type: ignore[index]
    rejected = [b for _d, leaf, b in events if b.get("event") == "plan_rejected"]
    assert [b["code"] for b in rejected] == [c for _p, c in cases]
    assert all(b["current_version"] == 2 for b in rejected)
    # the clinic tool refuses an expired plan before signing it
    assert _push(clinic_dir, tmp_path, valid_plan(version=6,
                                                  valid_until="2026-01-02T00:00:00Z")) == 2
    # a newer good plan is applied, also after a device restart (retained) it is not
    # reported again
    send(good3)
    wait_for(lambda: store.current_plan()[0].version == 3, 10, "plan 3")  # type: ignore[index]
    # the clinic has its report before the restart (else the restarted link rightly sends
    # the one still in the outbox, and that is no re-report)
    wait_for(lambda: any(b.get("event") == "plan_applied" and b.get("version") == 3
                         for _d, _leaf, b in events), 10, "plan 3 reported")
    link.stop()
    link2 = DeviceLink(load_config(_dev), store, reconnect_max_s=1)
    link2.start()
    try:
        assert link2.wait_connected(10)
        n_events = len(events)
        import time

        time.sleep(0.5)
        assert not [b for _d, leaf, b in events[n_events:] if b.get("event")]
    finally:
        link2.stop()


def test_messages_and_appointments_both_ways(setup, capsys: pytest.CaptureFixture[str]) -> None:
    _b, clinic_dir, dev_dir, store, link, watcher, events = setup
    assert main(["clinic", "message", "--device", "dev-1", "Remember: slow on the way down",
                 "--data-dir", str(clinic_dir)]) == 0
    wait_for(lambda: store.messages(), 10, "the message on the device")
    msg = store.messages()[0]
    assert msg.direction == Direction.TO_PATIENT and msg.text.startswith("Remember")
    wait_for(lambda: watcher.store.messages("dev-1")[0][3], 10, "the device's ack")

    sent = link.send_message("Knee a bit sore today")
    wait_for(lambda: len(watcher.store.messages("dev-1")) == 2, 10, "the patient's message")
    wait_for(lambda: [m for m in store.messages() if m.id == sent.id][0].acked_at, 10,
             "the clinic's ack")

    start = datetime.now(timezone.utc) - timedelta(minutes=1)
    assert main(["clinic", "appoint", "--device", "dev-1", "--at", start.isoformat(),
                 "--minutes", "30", "--data-dir", str(clinic_dir)]) == 0
    wait_for(store.appointments, 10, "the appointment on the device")
    appt = store.appointments()[0]
    assert appt.minutes == 30 and appt.started_at is None
    # the patient starts a session during the appointment: the clinic hears of it
    link.stop()
    capsys.readouterr()
    assert main(["session", "--sim", "heel_slide", "--reps", "2", "--data-dir",
                 str(dev_dir)]) == 0
    wait_for(lambda: watcher.store.appointments("dev-1")[0][3], 10, "appointment started")
    assert any(b.get("event") == "appointment_started" for _d, leaf, b in events)
    started = [b for _d, leaf, b in events if leaf == "live" and b["type"] == "session_started"]
    assert started  # the therapist's watch view follows the live feed
    assert main(["clinic", "appoint", "--device", "dev-1", "--at", "tomorrow", "--minutes",
                 "30", "--data-dir", str(clinic_dir)]) == 2


def test_questionnaire_and_feedback_travel_as_questionnaire_responses(setup) -> None:
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    from therapy.ports import FhirEncoder
    from therapy.records import Feedback, PainPhase, PainReport, QuestionnaireAnswers, new_id

    _b, _c, _d, store, link, watcher, _events = setup
    enc = FhirEncoder("dev-1")
    now = datetime.now(timezone.utc)
    q = QuestionnaireAnswers(new_id(), "urn:rehab-kiosk:questionnaire:intake", now,
                             (("age-band", "60-69"), ("surgery-weeks", 6), ("walks", True)))
    link.submit_questionnaire(q)
    link.submit_feedback(Feedback(new_id(), now, "Easier than last week", None, 4))
    pain = PainReport(new_id(), 6, PainPhase.BEFORE, now, None, "flare-up")
    store.save_pain(pain, [enc.pain_item(pain)])  # the same as link.submit_pain(pain)
    link.notify_outbox()
    wait_for(lambda: len(watcher.store.resources("QuestionnaireResponse")) == 2, 10, "2 QRs")
    wait_for(lambda: watcher.store.pain("dev-1"), 10, "the pain report")
    qrs = [QuestionnaireResponse.model_validate(r)
           for r in watcher.store.resources("QuestionnaireResponse")]
    assert {qr.questionnaire for qr in qrs} == {"urn:rehab-kiosk:questionnaire:intake",
                                                "urn:rehab-kiosk:questionnaire:session-feedback"}
    assert watcher.invalid == 0
