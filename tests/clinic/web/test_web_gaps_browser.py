"""A wearable's drop-outs reach the therapist (issue 15: "delivered means the far end has
it"), end to end: a supervised set run by the real session controller and live set (its
wearable links scripted: the thigh lost twice, 5 s and 9 s), a crash-recovered session
whose lower-leg wearable never came back, a session without drop-outs and one whose
drop-out ends before it starts go through the device's durable outbox and a real Mosquitto
to ``rehab clinic serve`` (a real process, FHIR validation in a check worker). The bad one
is refused with a counted reason (bad_field) and kept in quarantine as sent; the others are
stored; headless chromium logs in and the patient page says, per session, "Thigh sensor
lost 2x (14 s in all)" and that the lower leg's did not come back."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from browser_helpers import log_in, wait_until
from tests.helpers.chromium import shot_path
from tests.helpers.fake_motion import FakeAnalyzer, ListSource
from tests.helpers.link_helpers import device_config, wait_for
from tests.helpers.rehab_broker import Broker
from tests.helpers.serve_world import REPO, ServeProcess
from tests.helpers.waiting import until

from clinic.quarantine import refused, refused_payload
from clinic.store import ClinicStore
from mqtt.delivery import ResendPolicy
from mqtt.device import DeviceLink
from protocol.clock import MonotonicClock
from sensors.link_events import LinkEvent, LinkEventKind, LinkPolicy
from therapy import fhir
from therapy.drafts import DraftJournal, recover_drafts
from therapy.journal import DraftGap, DraftHeader
from therapy.outbox import Channel, OutboxItem
from therapy.outbox_refusals import refused_rows
from therapy.plan import exercise_from_catalogue
from therapy.ports import FhirEncoder
from therapy.records import GapRecord, PainPhase, PainReport, RepRecord, SessionRecord, new_id
from therapy.session import SessionController
from therapy.source_spec import parse_source
from therapy.sources import SessionSources
from therapy.store import TherapyStore

pytestmark = pytest.mark.timeout(150)
QUICK = ResendPolicy(first_s=0.3, factor=2.0, max_s=1.0, unrouted_first_s=0.3)
PASSWORD = "correct horse battery"
EXERCISE = "knee_extension_seated"
GONE = "another-boot:1:1"  # the owner of a draft whose process is no more
LOST, BACK = LinkEventKind.LOST, LinkEventKind.BACK
THIGH = "ble:F1:00:00:00:00:02"


class ScriptedLink:
    """A wearable's link as the live set sees it, its events sent by the test."""

    def __init__(self) -> None:
        self.policy = LinkPolicy()
        self.listeners: list[Callable[[LinkEvent], None]] = []

    def stop(self) -> None:
        pass

    def emit(self, kind: LinkEventKind, at_s: float, reason: str = "") -> None:
        for listener in list(self.listeners):
            listener(LinkEvent(THIGH, "thigh", kind, at_s, reason))


async def supervised_session(store: TherapyStore) -> SessionRecord:
    """One set under the real live set supervisor; the thigh wearable away 5 s, then 9 s."""
    ex = exercise_from_catalogue(EXERCISE)
    ctl = SessionController(  # a rep every 0.6 s of the source (60 s of samples in 3 s)
        ex, sink=store, encoder=FhirEncoder("dev-1"),
        analyzer_factory=lambda r, p: FakeAnalyzer(r, 62.0, 1.0, False, every=6000))
    src = ListSource([100] * 600, pause_s=0.005)
    thigh = ScriptedLink()
    live = SessionSources(parse_source("ble"), src, links=[thigh]).supervise(
        ctl, MonotonicClock())
    task = asyncio.ensure_future(ctl.run_set(src))
    await until(lambda: len(ctl.reps_) >= 2, 20, "two reps")
    host = live.clock.now()
    thigh.emit(LOST, host + 1.0, "disconnected")
    thigh.emit(BACK, host + 6.0)
    thigh.emit(LOST, host + 10.0, "out of range")
    thigh.emit(BACK, host + 19.0)
    await task
    await live.close(None)
    return ctl.finish(pain_after=2)


def recovered_session(store: TherapyStore, start: datetime) -> str:
    """A kiosk killed mid-set: its journal holds a rep and the lower leg's open drop-out;
    the next start stores it (and its outbox row)."""
    sid = new_id()
    journal = DraftJournal(store, GONE)
    header = DraftHeader.of(exercise_from_catalogue(EXERCISE), start, None, None)
    journal.set_started(sid, header, 1, ["ble:F1:00:00:00:00:01"], start)
    journal.pain_before(sid, header, PainReport(new_id(), 3, PainPhase.BEFORE, start, sid))
    journal.rep(sid, RepRecord(1, 1, 2.0, 5.0, 71.0, 1.0, 1.5, 1.5), start + timedelta(seconds=6))
    journal.gap(sid, DraftGap(1, "ble:F1:00:00:00:00:01", "shank", 40.0, None, "not found"))
    [rec] = recover_drafts(store, FhirEncoder("dev-1")).stored
    assert len(rec.gaps) == 1
    return sid


def plain_session(start: datetime, gaps: tuple[GapRecord, ...] = ()) -> SessionRecord:
    return SessionRecord(new_id(), EXERCISE, "right", "knee", start,
                         start + timedelta(minutes=3), 1, 10, 90.0, 2.0,
                         (RepRecord(1, 1, 2.0, 5.0, 80.0, 1.0, 1.5, 1.5),), 1, False,
                         gaps=gaps)


def reversed_gap_bundle(start: datetime) -> tuple[str, bytes]:
    """A session whose drop-out ends 20 s before it starts (valid R4, a wrong fact)."""
    rec = plain_session(start, (GapRecord(1, THIGH, "thigh", 50.0, 54.0, "lost", start),))
    bundle = fhir.session_bundle(rec, "dev-1")
    period = bundle["entry"][2]["resource"]["effectivePeriod"]
    period["end"] = fhir.ts(start - timedelta(seconds=20))
    return rec.id, json.dumps(bundle, separators=(",", ":")).encode()


def test_drop_outs_reach_the_patient_page(tmp_path: Path, browser: object) -> None:
    from selenium.webdriver.common.by import By

    clinic_dir = tmp_path / "clinic"
    made = subprocess.run([sys.executable, "-m", "rehab.cli", "clinic", "user", "add", "ann",
                           "--password-stdin", "--data-dir", str(clinic_dir)],
                          input=PASSWORD + "\n", capture_output=True, text=True, cwd=REPO)
    assert made.returncode == 0, made.stderr
    now = datetime.now(timezone.utc)
    dev = TherapyStore(tmp_path / "dev" / "rehab.db")
    live = asyncio.run(supervised_session(dev))
    recovered = recovered_session(dev, now - timedelta(hours=2))
    plain = plain_session(now - timedelta(hours=3))
    dev.save_session(plain, FhirEncoder("dev-1").session_items(plain))
    bad_id, bad_payload = reversed_gap_bundle(now - timedelta(hours=4))
    dev.enqueue([OutboxItem(Channel.RECORDS, bad_id, bad_payload)])

    broker = Broker(tmp_path / "broker").start()
    serve = ServeProcess(clinic_dir, broker.url, validate=True,
                         extra=("--check-workers", "1"))
    link = DeviceLink(device_config(tmp_path / "dev", broker.url), dev, resend=QUICK,
                      reconnect_max_s=1)
    d = browser
    try:
        serve.wait_connected()
        link.start()
        assert link.wait_drained(30), f"{dev.outbox_count()} rows wait for a receipt"
        wait_for(lambda: link.drainer.stats.clinic_refused == 1, 15, "the bad one refused")
        assert [(r.record_id, r.code) for r in refused_rows(dev)] == [(bad_id, "bad_field")]
        ingest = serve.health()["ingest"]
        assert ingest["refused_by_reason"] == {"bad_field": 1}
        assert ingest["refused_not_kept"] == 0 and ingest["callback_errors"] == {}

        store = ClinicStore(clinic_dir / "clinic.db")
        try:  # everything else is stored: three sessions and their two pain ratings
            rows = {r.identifier.removeprefix("urn:uuid:"): r for r in store.sessions("dev-1")}
            assert set(rows) == {live.id, recovered, plain.id}
            assert [(g["segment"], g["duration_s"], g["came_back"])
                    for g in rows[live.id].gaps] == [("thigh", 5.0, True), ("thigh", 9.0, True)]
            assert [(g["segment"], g["duration_s"], g["came_back"], g["start"])
                    for g in rows[recovered].gaps] == [("shank", None, False, None)]
            assert rows[plain.id].gaps == ()
            assert len(store.pain("dev-1")) == 2  # the live one's after, the recovered before
            [kept] = refused(store, "dev-1")
            assert (kept.record_id, kept.reason) == (bad_id, "bad_field")
            assert "ends before it starts" in kept.detail
            assert refused_payload(store, "dev-1", bad_id) == bad_payload  # as it was sent
            [bundle] = [b for b in store.resources("Bundle")
                        if b["identifier"]["value"] == f"urn:uuid:{live.id}"]
            sent = fhir.session_bundle(live, "dev-1")
            assert bundle == sent  # what the FHIR API reads is what the device sent
        finally:
            store.close()

        log_in(d, serve.url, "ann", PASSWORD)
        d.get(f"{serve.url}/patients/dev-1")  # type: ignore[attr-defined]
        wait_until(d, lambda drv: drv.find_element(By.TAG_NAME, "h1").text == "dev-1")
        table = d.find_elements(By.CSS_SELECTOR, "section.card table")[-1]  # type: ignore[attr-defined]
        table.location_once_scrolled_into_view
        time.sleep(0.2)
        lines = [r.text for r in table.find_elements(By.CSS_SELECTOR, "tbody tr")]
        assert len(lines) == 3  # newest first: live, recovered, plain
        assert "Thigh sensor lost 2x (14 s in all)" in lines[0]
        assert "Lower leg sensor lost 1x (did not come back before the set ended)" in lines[1]
        assert "sensor lost" not in lines[2]
        d.save_screenshot(str(shot_path("patient_wearable_dropouts.png")))  # type: ignore[attr-defined]
        assert serve.terminate() == 0
    finally:
        link.stop()
        serve.stop_quietly()
        broker.stop()
