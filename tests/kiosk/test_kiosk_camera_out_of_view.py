"""A camera exercise whose patient leaves the camera's view mid-set: the live set says so.

The kiosk's own camera path (``/dev/video0`` present: ``therapy.sources.pick_source`` picks
the camera for the exercise; a real ``CameraWorker`` with grab and inference threads over a
paced fake capture) with a pose estimator the test moves out of the picture and back.
Through the flow (no Kivy), as the camera-alone set of ``test_kiosk_sources_camera.py``:
past the set-up gate, the patient steps out of view (the model finds nobody): after
``CAMERA_UNSEEN_S`` the live set shows and says "Camera can't see your right knee — move
into view" (once); back in view it goes; the reps done after it count, the set ends at its
target. A short turn away (under the threshold) says nothing."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from camera_gate import SeatedPatient, camera_kiosk, camera_set_live, pain_after_to_record
from flow_helpers import until
from kiosk.run import CAMERA_UNSEEN_S

EX = "knee_extension_seated"
REPS = 2
BANNER = "Camera can't see your right knee — move into view"


@pytest.mark.timeout(90)
async def test_out_of_view_mid_set_the_banner_comes_is_said_once_and_goes(
        tmp_path: Path) -> None:
    patient = SeatedPatient(REPS, period_s=4.0)
    flow, model = camera_kiosk(tmp_path, patient)
    try:
        run = await camera_set_live(flow, model, EX, sets=1, reps=REPS)
        spoken = flow.audio.spoken
        await until(lambda: run.live.reps_in_set == 0 and run.analyzer is not None, 5,
                    "the set to stream", flow.frame)
        # a short turn away: no banner
        patient.away = True
        t0 = time.monotonic()
        while time.monotonic() - t0 < CAMERA_UNSEEN_S * 0.5:
            flow.frame()
            assert run.live.lost_banner == ""
            await asyncio.sleep(0.02)
        patient.away = False
        await asyncio.sleep(0.3)
        flow.frame()
        assert run.live.lost_banner == "" and BANNER not in spoken
        # out of view: the banner once the joint has been unseen long enough, said once
        patient.away = True
        t0 = time.monotonic()
        await until(lambda: run.live.lost_banner == BANNER, 5, "the out-of-view banner",
                    flow.frame)
        assert time.monotonic() - t0 >= CAMERA_UNSEEN_S * 0.9
        for _ in range(20):  # it stays, and is not said again
            flow.frame()
            await asyncio.sleep(0.02)
        assert run.live.lost_banner == BANNER and spoken.count(BANNER) == 1
        assert run.set_running and not run.paused  # the set goes on meanwhile
        # back in view: the banner goes; the reps done now count and end the set
        patient.away = False
        await until(lambda: run.live.lost_banner == "", 3, "the banner to go", flow.frame)
        patient.start = time.monotonic()
        await until(lambda: flow.current == "pain", 30, "the set to end at its target",
                    flow.frame)
        assert run.error == "" and run.live.lost_banner == ""
        rec = await pain_after_to_record(flow, model)
        assert rec.rep_count == REPS
    finally:
        model.close()
