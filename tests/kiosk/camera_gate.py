"""A camera exercise in the Kivy-free flow tests: a paced live-camera stand-in, a seated
patient the pose model sees, the fake navigator keeping the set-up's view-model, a kiosk
with the camera plugged in, passing the set-up gate as the patient does (Done once it sees
them well), and pain after to the stored record."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from fake_navigator import Screens
from flow_helpers import silent_audio, until
from kiosk.model import KioskModel
from kiosk.settings import load_settings, save_settings
from kiosk.vm.flow import KioskFlow
from sensors.camera.worker import CameraWorker
from tests.helpers.camera_synth import H, W, knee_extension_flex, seated_frame
from therapy.plan import exercise_from_catalogue
from therapy.ports import FakeClock


class GateScreens(Screens):
    """The fake navigator, keeping the camera set-up's view-model too."""

    vm: Any = None

    def show_camera(self, worker: Any, vm: Any) -> None:
        super().show_camera(worker, vm)
        self.vm = vm


class PacedFrames:
    """A live camera stand-in: a small grey frame every 1/fps real seconds, stamped with
    ``clock`` (the host clock the wearables use, so the two can be fused)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, fps: float = 30.0) -> None:
        self.fps, self._clock = fps, clock
        self._next = time.monotonic()
        self._image = np.full((H // 4, W // 4, 3), 128, np.uint8)
        self.closed = False

    def read(self) -> tuple[float, np.ndarray] | None:
        if self.closed:
            return None
        self._next += 1.0 / self.fps
        time.sleep(max(0.0, self._next - time.monotonic()))
        return self._clock(), self._image

    def close(self) -> None:
        self.closed = True


async def pass_gate(flow: KioskFlow) -> Any:
    """On the camera set-up gate: wait until it sees the patient well (what enables Done),
    then Done; returns the set-up's pose worker (the set reads it)."""
    nav = flow.nav
    assert isinstance(nav, GateScreens) and flow.current == "camera_setup", flow.current
    worker = nav.camera

    def ready() -> bool:
        got = worker.latest()
        return got is not None and nav.vm.update(got.t_s, got.pose).ready

    await until(ready, 10, "the camera set-up to see the patient well", lambda: None)
    flow.close_camera_setup()  # Done
    return worker


class SeatedPatient:
    """The pose model's view of a seated patient side-on: at rest until ``start`` (host
    time), then ``reps`` knee extensions of ``period_s``; nobody in the picture while
    ``away``."""

    def __init__(self, reps: int, period_s: float, lead_s: float = 0.5) -> None:
        self.reps, self.period_s, self.lead_s = reps, period_s, lead_s
        self.away = False
        self.start: float | None = None

    def estimate(self, image: np.ndarray, t_s: float) -> Any:
        if self.away:
            return None
        flex = 90.0 if self.start is None else float(knee_extension_flex(
            np.array([t_s - self.start]), reps=self.reps, period_s=self.period_s,
            lead_s=self.lead_s)[0])
        return seated_frame(t_s, flex)

    def close(self) -> None:
        pass


def camera_kiosk(tmp: Path, pose: Any, capture: Callable[[], Any] = PacedFrames,
                 ) -> tuple[KioskFlow, KioskModel]:
    """A kiosk with a camera plugged in (``/dev/video0``) and no wearable paired, whose
    camera is a real ``CameraWorker`` over ``capture()`` and ``pose``."""
    data, dev = tmp / "data", tmp / "dev"
    data.mkdir(parents=True)
    dev.mkdir()
    (dev / "video0").touch()

    def open_pose() -> CameraWorker:
        worker = CameraWorker(capture(), pose)
        worker.start()
        return worker

    save_settings(data, load_settings(data).with_pin("2580").with_code("246813"))
    model = KioskModel(data, clock=FakeClock(datetime.now(UTC)), monotonic=time.monotonic,
                       dev_dir=dev, camera=open_pose)
    return KioskFlow(model, GateScreens(), silent_audio()), model


async def camera_set_live(flow: KioskFlow, model: KioskModel, exercise_id: str, *, sets: int,
                          reps: int) -> Any:
    """The exercise started, pain before 0, past the camera set-up: the first set running on
    the live screen; returns the run."""
    flow.start_exercise(dataclasses.replace(exercise_from_catalogue(exercise_id), sets=sets,
                                            reps=reps))
    flow.pain_vm.choose(0)
    flow.pain_done()
    flow.begin_set()
    await pass_gate(flow)
    run = model.run
    assert run is not None and flow.current == "live" and run.set_running, run and run.error
    return run


async def pain_after_to_record(flow: KioskFlow, model: KioskModel, pain: int = 0) -> Any:
    """On pain after: rate it, Done, wait for the summary; returns the stored record."""
    flow.pain_vm.choose(pain)
    flow.pain_done()
    await until(lambda: flow.current == "summary", 20, "the summary", lambda: None)
    rec = model.last_record
    assert rec is not None
    return rec
