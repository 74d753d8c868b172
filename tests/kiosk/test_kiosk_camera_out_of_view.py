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
import dataclasses
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from flow_helpers import silent_audio, until
from camera_gate import GateScreens, PacedFrames, pass_gate
from kiosk.model import KioskModel
from kiosk.run import CAMERA_UNSEEN_S
from kiosk.settings import load_settings, save_settings
from kiosk.vm.flow import KioskFlow
from sensors.camera.landmarks import PoseFrame
from sensors.camera.worker import CameraWorker
from tests.helpers.camera_synth import knee_extension_flex, seated_frame
from therapy.plan import exercise_from_catalogue
from therapy.ports import FakeClock

EX = "knee_extension_seated"
REPS = 2
PERIOD_S = 4.0
BANNER = "Camera can't see your right knee — move into view"


class Patient:
    """The pose model's view: a seated patient side-on, at rest until ``start`` (host
    time) and then doing ``REPS`` knee extensions; nobody while ``away``."""

    def __init__(self) -> None:
        self.away = False
        self.start: float | None = None

    def estimate(self, image: np.ndarray, t_s: float) -> PoseFrame | None:
        if self.away:
            return None
        flex = 90.0 if self.start is None else float(knee_extension_flex(
            np.array([t_s - self.start]), reps=REPS, period_s=PERIOD_S, lead_s=0.5)[0])
        return seated_frame(t_s, flex)

    def close(self) -> None:
        pass


def kiosk(tmp: Path, patient: Patient) -> tuple[KioskFlow, KioskModel]:
    data, dev = tmp / "data", tmp / "dev"
    data.mkdir(parents=True)
    dev.mkdir()
    (dev / "video0").touch()  # a camera is plugged in; no wearable is paired

    def open_pose() -> CameraWorker:
        worker = CameraWorker(PacedFrames(), patient)
        worker.start()
        return worker

    save_settings(data, load_settings(data).with_pin("2580").with_code("246813"))
    model = KioskModel(data, clock=FakeClock(datetime.now(UTC)), monotonic=time.monotonic,
                       dev_dir=dev, camera=open_pose)
    return KioskFlow(model, GateScreens(), silent_audio()), model


async def to_live(flow: KioskFlow, model: KioskModel) -> Any:
    flow.start_exercise(dataclasses.replace(exercise_from_catalogue(EX), sets=1, reps=REPS))
    flow.pain_vm.choose(0)
    flow.pain_done()
    flow.begin_set()
    await pass_gate(flow)
    run = model.run
    assert run is not None and flow.current == "live" and run.set_running, run and run.error
    return run


@pytest.mark.timeout(90)
async def test_out_of_view_mid_set_the_banner_comes_is_said_once_and_goes(
        tmp_path: Path) -> None:
    patient = Patient()
    flow, model = kiosk(tmp_path, patient)
    try:
        run = await to_live(flow, model)
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
        flow.pain_vm.choose(0)
        flow.pain_done()
        await until(lambda: flow.current == "summary", 20, "the summary", lambda: None)
        rec = model.last_record
        assert rec is not None and rec.rep_count == REPS
    finally:
        model.close()
