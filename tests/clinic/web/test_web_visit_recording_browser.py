"""Recording a video visit only with the patient's consent, stored only at the clinic
(issue 16), end to end: Debian's chromium with a fake camera and microphone, ``rehab
clinic serve`` as a subprocess, a real Mosquitto, and the kiosk side in Python as the app
wires it (kiosk/visit_setup.py: aiortc on a synthetic camera, the kiosk's real store).

The therapist presses "Ask to record"; the kiosk asks the patient. Yes -> the browser
records the patient's stream and uploads it when the therapist stops: a WebM of real size
is stored in the clinic's data dir, linked to the appointment, listed on the patient's
page, downloadable, and audited. No -> "The patient declined", nothing stored, and an
upload sent anyway is refused. The patient's Stop on the kiosk stops and stores a second
file. The kiosk writes no video; its own audit of the call reaches the clinic."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import wait_until
from tests.helpers.chromium import shot_path
from tests.helpers.visit_world import until
from visit_browser_world import visit_browser_world

from kiosk.vm.visit import Phase
from therapy.audit import AuditKind

pytestmark = pytest.mark.timeout(180)
WEBM = b"\x1a\x45\xdf\xa3"
MIN_BYTES = 20_000  # ~3 s of 640x480 VP8 from the kiosk's noisy synthetic camera: far more


def _videos(folder: Path) -> list[Path]:
    """Every file under ``folder`` that is a video (by name or by its first bytes)."""
    found = []
    for p in folder.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                head = f.read(12)
            if p.suffix in (".webm", ".mp4", ".mkv") or head.startswith(WEBM) \
                    or head[4:8] == b"ftyp":
                found.append(p)
    return found


def _decoded(path: Path) -> tuple[int, tuple[int, int], int]:
    """Video frames decoded, their size, and audio samples (PyAV, aiortc's own decoder)."""
    import av

    frames, size, samples = 0, (0, 0), 0
    with av.open(str(path)) as box:
        for frame in box.decode(video=0):
            frames, size = frames + 1, (frame.width, frame.height)
    with av.open(str(path)) as box:
        for sound in box.decode(audio=0):
            samples += sound.samples
    return frames, size, samples


async def test_recording_only_with_the_patients_yes(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    def text(drv: Any, ident: str) -> str:
        return str(drv.find_element(By.ID, ident).text)

    async with visit_browser_world(tmp_path) as w:
        d, ui, kit, store, serve = w.d, w.ui, w.kit, w.store, w.serve
        clinic_dir, appt = w.clinic_dir, w.appointment

        async def click(ident: str) -> None:  # once enabled (the page polls twice a second)
            await ui(wait_until, d, lambda drv: drv.find_element(By.ID, ident).is_enabled(), 10)
            await ui(lambda: d.find_element(By.ID, ident).click())

        await ui(lambda: d.find_element(By.LINK_TEXT, "Start video visit").click())
        await ui(wait_until, d, lambda drv: drv.find_element(By.ID, "call-start").is_enabled())
        assert await ui(lambda: d.find_element(By.ID, "record-ask").is_enabled()) is False
        await click("call-start")
        await until(lambda: kit.vm.phase == Phase.RINGING, 20, "the kiosk to ring")
        await kit.vm.accept()
        await ui(wait_until, d, lambda drv: text(drv, "call-state") == "connected", 20)
        await ui(wait_until, d, lambda drv: drv.find_element(By.ID, "record-ask").is_enabled())
        call = kit.vm.offer.call  # type: ignore[union-attr]
        stored = clinic_dir / "recordings" / "dev-1" / appt

        # 1. the patient says no: nothing recorded, the therapist is told
        await click("record-ask")
        await until(lambda: kit.vm.record_prompt, 15, "the kiosk to ask the patient")
        assert not kit.vm.recording
        kit.vm.consent_recording(False)
        await ui(wait_until, d, lambda drv: "The patient declined" in text(drv, "record-state"),
                 15)
        refused = await ui(d.execute_async_script, """
            const done = arguments[arguments.length - 1], root = document.getElementById('visit');
            fetch(root.dataset.base + '/' + arguments[0] + '/recording', {method: 'POST',
              body: new Blob([new Uint8Array([26, 69, 223, 163, ...new Array(4096).fill(0)])]),
              headers: {'content-type': 'video/webm', 'x-csrftoken': root.dataset.csrf}})
              .then(r => done(r.status));""", call)
        assert refused == 403  # the server stores nothing the patient did not agree to
        assert _videos(clinic_dir) == []

        # 2. yes: the browser records until the therapist stops, the clinic stores it
        await click("record-ask")
        await until(lambda: kit.vm.record_prompt, 15, "the kiosk to ask again")
        kit.vm.consent_recording(True)
        assert kit.vm.view().recording
        await ui(wait_until, d, lambda drv: "RECORDING" in text(drv, "record-state"), 15)
        await asyncio.sleep(3)  # something worth keeping
        await click("record-stop")
        await ui(wait_until, d, lambda drv: "Recording saved at the clinic" in text(
            drv, "record-state"), 20)
        await until(lambda: not kit.vm.recording, 10, "the kiosk's indicator to go off")
        first = stored / f"{call}-1.webm"
        assert first.is_file() and first.stat().st_size > MIN_BYTES
        assert first.read_bytes()[:4] == WEBM and first.stat().st_mode & 0o077 == 0
        meta = json.loads((stored / f"{call}-1.json").read_text())
        assert meta["asked_by"] == "ann" and meta["answer"] == "yes"
        assert meta["stopped_by"] == "therapist" and meta["size_bytes"] == first.stat().st_size
        assert meta["started_at"] <= meta["stopped_at"] and meta["appointment"] == appt
        frames, size, voices = _decoded(first)  # a real video of the patient, with sound
        assert frames >= 15 and size == (640, 480) and voices > 0

        # 3. yes again; the patient stops it on the kiosk: stopped and stored
        await click("record-ask")
        await until(lambda: kit.vm.record_prompt, 15, "the kiosk to ask a third time")
        kit.vm.consent_recording(True)
        await ui(wait_until, d, lambda drv: "RECORDING" in text(drv, "record-state"), 15)
        await ui(d.execute_script, "document.getElementById('record-row').scrollIntoView()")
        await ui(d.save_screenshot, str(shot_path("clinic-visit-recording.png")))
        await asyncio.sleep(2)
        kit.vm.stop_recording()
        await ui(wait_until, d, lambda drv: "Recording saved at the clinic" in text(
            drv, "record-state"), 20)
        second = json.loads((stored / f"{call}-2.json").read_text())
        assert second["stopped_by"] == "patient" and second["size_bytes"] > MIN_BYTES // 2
        await click("call-hangup")
        await until(lambda: kit.vm.phase == Phase.ENDED, 15, "the kiosk to end the call")

        # listed on the patient's page, downloadable, every step in the web audit
        await ui(d.get, f"{serve.url}/patients/dev-1")
        page = await ui(lambda: d.find_element(By.ID, "recordings").text)
        assert f"{call}-1.webm" in page and f"{call}-2.webm" in page and "patient" in page
        await ui(d.execute_script, "document.getElementById('recordings').scrollIntoView()")
        await ui(d.save_screenshot, str(shot_path("clinic-patient-recordings.png")))
        got = await ui(d.execute_async_script, """
            const done = arguments[arguments.length - 1];
            fetch(arguments[0]).then(r => r.arrayBuffer()).then(b => done(b.byteLength));""",
            f"/patients/dev-1/recordings/{appt}/{call}-1.webm")
        assert got == first.stat().st_size
        assert len(_videos(clinic_dir)) == 2
        assert _videos(w.dev_dir) == []  # the kiosk never writes the video

        # the kiosk's own audit of the call, and it reaches the clinic
        kinds = [r.kind for r in store.audit_records()]
        assert kinds.count(AuditKind.RECORDING_ASKED) == 3
        assert kinds.count(AuditKind.RECORDING_ANSWERED) == 3
        assert AuditKind.VISIT_ENDED in kinds and AuditKind.VISIT_CONNECTED in kinds

        def clinic_audit() -> list[str]:
            with sqlite3.connect(clinic_dir / "clinic.db") as db:
                rows = db.execute("SELECT body FROM resources WHERE resource_type = "
                                  "'AuditEvent'").fetchall()
            return [json.loads(b)["subtype"][-1]["code"] for (b,) in rows]

        await until(lambda: "visit_ended" in clinic_audit(), 30, "the kiosk's audit at the "
                    "clinic")
        assert clinic_audit().count("recording_answered") == 3
        await ui(d.get, "about:blank")
        assert await ui(serve.terminate) == 0
        with sqlite3.connect(clinic_dir / "clinic.db") as db:
            whats = [w for (w,) in db.execute("SELECT what FROM web_audit WHERE device = "
                                              "'dev-1' ORDER BY id")]
        assert sum("asked the patient to record" in w for w in whats) == 3
        assert any("recording: the patient said no" in w for w in whats)
        assert sum("recording: the patient said yes" in w for w in whats) == 2
        assert any("recording refused: the patient did not agree" in w for w in whats)
        assert any(f"recording stored: {call}-1.webm" in w for w in whats)
        assert any(f"recording {appt}/{call}-1.webm" in w for w in whats)  # the download
