"""A camera exercise whose camera is unplugged mid-set (its reads fail: ENODEV), through the
flow on the kiosk's own camera path (a real ``CameraWorker`` over a paced capture).

Before, the failed set left the session "running" with no set-ended event: with a set still
to do the live screen had no button at all (neither Pause/Stop nor Start next set/Finish
now) and said nothing, and the patient read "The sensors stopped: camera stopped: [Errno
19] No such device". Now the set ends with the reps done: the rest between sets (Start next
set, Finish now) with "The camera stopped, so the set ended with the reps done. Check that
it is plugged in." shown and said (not "Set done. Rest now."); plugged back in, the next set
runs and the session keeps both sets' reps. On the last set: pain after, then the summary,
as a set that ends does."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from camera_gate import GateScreens, PacedFrames, pass_gate
from flow_helpers import silent_audio, until
from kiosk.model import KioskModel
from kiosk.run import CAMERA_STOPPED
from kiosk.settings import load_settings, save_settings
from kiosk.vm.flow import KioskFlow
from sensors.camera.landmarks import PoseFrame
from sensors.camera.worker import CameraWorker
from tests.helpers.camera_synth import knee_extension_flex, seated_frame
from therapy.plan import exercise_from_catalogue
from therapy.ports import FakeClock

EX = "knee_extension_seated"
REPS = 2
PERIOD_S = 3.0


class Cable:
    """The camera's USB cable: while unplugged every read fails as V4L2's does."""

    plugged = True


class Camera(PacedFrames):
    def read(self) -> tuple[float, np.ndarray] | None:
        if not Cable.plugged:
            raise OSError(19, "No such device")
        return super().read()


class Patient:
    """Seated side-on; ``REPS`` knee extensions from each ``start`` (host time)."""

    start: float | None = None

    def estimate(self, image: np.ndarray, t_s: float) -> PoseFrame | None:
        flex = 90.0 if self.start is None else float(knee_extension_flex(
            np.array([t_s - self.start]), reps=REPS, period_s=PERIOD_S, lead_s=0.3)[0])
        return seated_frame(t_s, flex)

    def close(self) -> None:
        pass


def kiosk(tmp: Path, patient: Patient) -> tuple[KioskFlow, KioskModel]:
    data, dev = tmp / "data", tmp / "dev"
    data.mkdir(parents=True)
    dev.mkdir()
    (dev / "video0").touch()

    def open_pose() -> CameraWorker:
        worker = CameraWorker(Camera(), patient)
        worker.start()
        return worker

    save_settings(data, load_settings(data).with_pin("2580").with_code("246813"))
    model = KioskModel(data, clock=FakeClock(datetime.now(UTC)), monotonic=time.monotonic,
                       dev_dir=dev, camera=open_pose)
    return KioskFlow(model, GateScreens(), silent_audio()), model


async def first_set(flow: KioskFlow, model: KioskModel, sets: int) -> Any:
    Cable.plugged = True
    flow.start_exercise(dataclasses.replace(exercise_from_catalogue(EX), sets=sets, reps=REPS))
    flow.pain_vm.choose(0)
    flow.pain_done()
    flow.begin_set()
    await pass_gate(flow)
    run = model.run
    assert run is not None and flow.current == "live" and run.set_running, run and run.error
    return run


async def one_rep_then_unplug(flow: KioskFlow, run: Any, patient: Patient) -> None:
    patient.start = time.monotonic()
    await until(lambda: run.live.reps_in_set == 1, 15, "the first rep", flow.frame)
    Cable.plugged = False


@pytest.mark.timeout(90)
async def test_unplugged_mid_set_the_set_ends_with_its_reps_and_the_next_one_runs(
        tmp_path: Path) -> None:
    patient = Patient()
    flow, model = kiosk(tmp_path, patient)
    try:
        run = await first_set(flow, model, sets=2)
        await one_rep_then_unplug(flow, run, patient)
        await until(lambda: not run.set_running, 10, "the set to end", flow.frame)
        flow.frame()
        assert flow.current == "live" and run.live.resting and not run.live.running
        assert run.error == CAMERA_STOPPED and run.more_sets
        spoken = flow.audio.spoken
        assert CAMERA_STOPPED in spoken and "Set done. Rest now." not in spoken
        # plugged back in: Start next set (the set-up gate was passed before the first)
        Cable.plugged = True
        patient.start = None
        flow.begin_set()
        assert flow.current == "live" and run.set_running, run.error
        await until(lambda: run.live.set_no == 2, 5, "set 2", flow.frame)
        patient.start = time.monotonic()
        await until(lambda: flow.current == "pain", 30, "set 2 to end at its target",
                    flow.frame)
        flow.pain_vm.choose(1)
        flow.pain_done()
        await until(lambda: flow.current == "summary", 20, "the summary", lambda: None)
        rec = model.last_record
        assert rec is not None and rec.sets_done == 2
        assert [r.set_no for r in rec.reps] == [1, 2, 2]  # set 1's rep before the cable went
    finally:
        Cable.plugged = True
        model.close()


@pytest.mark.timeout(90)
async def test_unplugged_in_the_last_set_goes_on_to_pain_after_and_keeps_its_reps(
        tmp_path: Path) -> None:
    patient = Patient()
    flow, model = kiosk(tmp_path, patient)
    try:
        run = await first_set(flow, model, sets=1)
        await one_rep_then_unplug(flow, run, patient)
        await until(lambda: flow.current == "pain", 10, "pain after", flow.frame)
        assert CAMERA_STOPPED in flow.audio.spoken
        flow.pain_vm.choose(0)
        flow.pain_done()
        await until(lambda: flow.current == "summary", 20, "the summary", lambda: None)
        rec = model.last_record
        assert rec is not None and rec.rep_count == 1 and not rec.completed
    finally:
        Cable.plugged = True
        model.close()
