"""The recording rules of a video visit (issue 16) through the TestClient, with the real
relay on a real Mosquitto: asking needs a connected call and the CSRF header; an upload is
stored only after the patient's yes (one file per yes), only a WebM/MP4, never without the
CSRF header; no answer within RECORD_ANSWER_S (+ grace) is declined at the clinic too; a
download is only of a stored recording's name. The browser end to end is
test_web_visit_recording_browser.py."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from send_world import SendWorld, send_world_fixture  # noqa: F401  # fixture

from clinic.visit import RECORD_GRACE_S, ClinicCall, relay_factory
from clinic.web.sending import signing_key
from mqtt.config import load_config
from mqtt.visit import RECORD_ANSWER_S, CallState, RecordConsent, RecordStop, StateReport
from rehab.commands.clinic import KEY_FILE

pytestmark = pytest.mark.timeout(60)
BASE = "/patients/dev-1/appointments/a-1/visit/call-1"
WEBM = b"\x1a\x45\xdf\xa3" + bytes(range(256)) * 40  # an EBML header and 10 KiB


def test_the_clinic_says_declined_when_nobody_answers() -> None:
    c = ClinicCall("dev-1", "call-1", "a-1")
    assert c.recording() == "off"
    c.record_asked_at = 100.0
    assert c.recording(100.0 + RECORD_ANSWER_S) == "asking"
    assert c.recording(100.0 + RECORD_ANSWER_S + RECORD_GRACE_S + 0.1) == "declined"


def test_uploads_only_after_the_patients_yes(send_world: SendWorld) -> None:
    w = send_world
    cfg = load_config(w.clinic_dir, require_device=False)
    w.app.state.visit = relay_factory(  # type: ignore[attr-defined]
        cfg.broker, "c1", lambda: signing_key(w.clinic_dir / KEY_FILE), client_name="t-rec")
    relay = w.app.state.visit()  # type: ignore[attr-defined]
    w.watcher.store.add_appointment("a-1", "dev-1", datetime.now(timezone.utc).isoformat(), 30)
    c = ClinicCall("dev-1", "call-1", "a-1")
    relay.calls["call-1"] = c
    csrf = {"x-csrftoken": w.csrf()}
    video = {**csrf, "content-type": "video/webm"}
    stored = w.clinic_dir / "recordings" / "dev-1" / "a-1"
    try:
        # asking needs a connected call, and the CSRF header
        assert w.client.post(BASE + "/record", headers=csrf).status_code == 409
        relay._apply(c, StateReport("call-1", CallState.CONNECTED))
        assert w.client.post(BASE + "/record").status_code == 403
        assert w.client.post(BASE + "/record", headers=csrf).status_code == 200
        assert c.recording() == "asking" and c.record_asked_by == "ann"
        assert w.client.post(BASE + "/record", headers=csrf).status_code == 409  # one at a time
        assert w.client.get(BASE + "/state").json()["recording"] == "asking"

        # no yes yet: nothing is stored
        assert w.client.post(BASE + "/recording", content=WEBM, headers=video
                             ).status_code == 403
        relay._apply(c, RecordConsent("call-1", True))
        assert c.recording() == "recording"
        relay._apply(c, RecordConsent("call-1", False))  # a second answer changes nothing
        assert c.recording() == "recording"
        assert w.client.post(BASE + "/recording", content=WEBM,
                             headers={"content-type": "video/webm"}).status_code == 403  # CSRF
        bad = w.client.post(BASE + "/recording", content=b"GIF89a" + bytes(4096), headers=video)
        assert bad.status_code == 400 and not list(stored.glob("*.*"))  # no part file left
        relay._apply(c, RecordStop("call-1"))  # the patient's Stop
        assert c.recording() == "stopped" and c.record_stopped_by == "patient"
        ok = w.client.post(BASE + "/recording", content=WEBM, headers=video)
        assert ok.status_code == 200 and ok.json() == {"stored": "call-1-1.webm",
                                                       "bytes": len(WEBM)}
        assert (stored / "call-1-1.webm").read_bytes() == WEBM
        again = w.client.post(BASE + "/recording", content=WEBM, headers=video)
        assert again.status_code == 403  # one file per yes

        # downloads: the stored name only, audited
        got = w.client.get("/patients/dev-1/recordings/a-1/call-1-1.webm")
        assert got.status_code == 200 and got.content == WEBM
        for name in ("call-1-1.json", "..%2Fcall-1-1.webm", "x.webm", "call-1-9.webm"):
            assert w.client.get(f"/patients/dev-1/recordings/a-1/{name}").status_code == 404
        page = w.client.get("/patients/dev-1").text
        assert "call-1-1.webm" in page and 'id="recordings"' in page

        # asked again: no answer in time is declined, and the late yes does not count
        assert w.client.post(BASE + "/record", headers=csrf).status_code == 200
        c.record_asked_at = time.monotonic() - RECORD_ANSWER_S - RECORD_GRACE_S - 1
        relay._apply(c, RecordConsent("call-1", True))
        assert c.recording() == "declined" and c.record_grants == 1
        state = w.client.get(BASE + "/state").json()
        assert state["recording"] == "declined"
        whats = [a.what for a in w.app.state.audit.rows("dev-1")]  # type: ignore[attr-defined]
        assert ("video visit call-1 recording: the patient did not answer within "
                f"{RECORD_ANSWER_S:g} s (asked by ann)") in whats
        assert any(t.startswith("video visit call-1 recording stored: call-1-1.webm, "
                                f"{len(WEBM)} bytes, appointment a-1") and "by patient" in t
                   for t in whats)
        assert "recording a-1/call-1-1.webm" in whats
    finally:
        relay.stop()
