"""A camera exercise in the kiosk, through the flow (no Kivy), with the camera fakes: a
``/dev/video0`` present makes the kiosk pick the camera for a camera exercise
(``therapy.sources.pick_source``, the rule ``rehab session --source auto`` follows); the
set's angles come from the kiosk's pose worker (a real ``CameraWorker``: grab and inference
threads) over a paced fake capture and a pose estimator drawing a seated patient side-on
doing knee extensions. Start first shows the camera set-up for the exercise's joint and side
(the gate: Done once the camera sees the patient well, Back to the instruction), and the set
then reads the set-up's own pose worker. Alone, the camera counts the reps and the live
screen gets its picture; with a paired wearable (a bumble virtual one, reached by unmodified
bleak) the set is fused and every stored rep says its ROM came from the camera."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fake_navigator import Screens
from flow_helpers import silent_audio, until
from kiosk.model import KioskModel
from kiosk.settings import load_settings, save_settings
from kiosk.vm.flow import KioskFlow
from sensors.camera.landmarks import PoseFrame
from sensors.camera.worker import CameraWorker
from tests.helpers.camera_synth import H, W, knee_extension_flex, seated_frame
from therapy.plan import exercise_from_catalogue
from therapy.ports import FakeClock
from therapy.sources import SourceKind, SourceOptions

EX = "knee_extension_seated"
REPS = 2
PERIOD_S = 4.0  # one knee extension on camera
FPS = 30.0


class GateScreens(Screens):
    """The fake navigator, keeping the camera set-up's view-model too."""

    vm: Any = None

    def show_camera(self, worker: Any, vm: Any) -> None:
        super().show_camera(worker, vm)
        self.vm = vm


class PacedFrames:
    """A live camera stand-in: a small grey frame every 1/fps real seconds, stamped with
    ``clock`` (the host clock the wearables use, so the two can be fused)."""

    def __init__(self, clock: Callable[[], float], fps: float = FPS) -> None:
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


class KneeExtensionPose:
    """A pose estimator seeing a seated patient side-on doing ``reps`` knee extensions,
    from its first frame on (times re-stamped as the real estimator does)."""

    def __init__(self, reps: int) -> None:
        self.reps = reps
        self._t0: float | None = None

    def estimate(self, image: np.ndarray, t_s: float) -> PoseFrame | None:
        self._t0 = t_s if self._t0 is None else self._t0
        flex = knee_extension_flex(np.array([t_s - self._t0]), reps=self.reps,
                                   period_s=PERIOD_S, lead_s=1.0)
        return seated_frame(t_s, float(flex[0]))

    def close(self) -> None:
        pass


def camera_opener(clock: Callable[[], float], opened: list[Any]) -> Callable[[], Any]:
    def open_pose() -> CameraWorker:
        worker = CameraWorker(PacedFrames(clock), KneeExtensionPose(REPS))
        worker.start()
        opened.append(worker)
        return worker
    return open_pose



def kiosk(tmp: Path, clock: Callable[[], float], opened: list[Any],
          options: SourceOptions | None = None) -> tuple[KioskFlow, KioskModel]:
    data, dev = tmp / "data", tmp / "dev"
    data.mkdir(parents=True)
    dev.mkdir()
    (dev / "video0").touch()  # a camera is plugged in
    save_settings(data, load_settings(data).with_pin("2580").with_code("246813"))
    model = KioskModel(data, clock=FakeClock(datetime.now(UTC)), monotonic=time.monotonic,
                       dev_dir=dev, camera=camera_opener(clock, opened),
                       source_options=options)
    audio = silent_audio()
    return KioskFlow(model, GateScreens(), audio), model


async def do_set(flow: KioskFlow, model: KioskModel) -> Any:
    flow.start_exercise(dataclasses.replace(exercise_from_catalogue(EX), sets=1, reps=REPS))
    flow.pain_vm.choose(0)
    flow.pain_done()
    flow.begin_set()
    run = model.run
    assert run is not None and flow.current == "camera_setup", run and run.error
    nav = flow.nav
    assert isinstance(nav, GateScreens) and nav.vm.joint.name == "KNEE_RIGHT"
    flow.camera_setup_back()  # Back: the instruction again, the camera off
    assert flow.current == "instruction" and nav.camera is None
    flow.begin_set()
    assert flow.current == "camera_setup"
    worker = nav.camera

    def ready() -> bool:  # what enables Done on the set-up screen
        got = worker.latest()
        return got is not None and nav.vm.update(got.t_s, got.pose).ready

    await until(ready, 10, "the camera set-up to see the patient well", lambda: None)
    flow.close_camera_setup()  # Done
    assert flow.current == "live" and run.set_running, run.error
    pictures: list[Any] = []

    def tick() -> None:
        flow.frame()
        if run.camera_latest is not None:
            pictures.append(run.camera_latest())

    await until(lambda: flow.current == "pain", 40, "the set to end at its target", tick)
    assert run.error == ""
    assert any(p is not None and p.pose is not None for p in pictures)  # the live picture
    flow.pain_vm.choose(0)
    flow.pain_done()
    await until(lambda: flow.current == "summary", 20, "the summary", lambda: None)
    return model.last_record


@pytest.mark.timeout(90)
async def test_a_camera_exercise_with_a_camera_and_no_wearable_is_measured_by_the_camera(
        tmp_path: Path) -> None:
    opened: list[Any] = []
    flow, model = kiosk(tmp_path, time.monotonic, opened)
    try:
        ex = exercise_from_catalogue(EX)
        spec = model.sources.spec_for(ex)  # type: ignore[attr-defined]
        assert spec.kind == SourceKind.CAMERA and spec.target == "0"
        assert model.sources.demo  # no wearable: the top strip still says demo sensors
        rec = await do_set(flow, model)
        assert rec is not None and rec.rep_count == REPS
        assert all(50 < r.rom_deg < 90 for r in rec.reps)  # 90 -> 20 degrees of flexion
        # the set read the set-up's worker (the one opened after Back), closed at the end
        assert len(opened) == 2 and not any(w.running for w in opened)
    finally:
        model.close()


@pytest.mark.timeout(120)
async def test_a_camera_exercise_with_a_paired_wearable_is_fused(tmp_path: Path) -> None:
    from protocol.clock import MonotonicClock
    from sensors.ble.ports import Wearable, WearableKind
    from sensors.ble.virtual.world import VirtualWearables
    from sensors.sim import SimConfig, simulate
    from sensors.types import BodySegment
    from therapy.devices import WearableRegistry

    clock = MonotonicClock()  # the host clock of the wearable and the camera's frames
    world = VirtualWearables(clock)
    sim = simulate(SimConfig(exercise_id=EX, reps=REPS + 2, seed=0, drop_prob=0.0))
    await world.add("F1:00:00:00:00:01", "shank", sim.distal)
    opened: list[Any] = []
    flow, model = kiosk(tmp_path, clock.now, opened,
                        SourceOptions(ble_connector=world.connector, clock=clock))
    try:
        WearableRegistry(model.store).remember(
            Wearable("F1:00:00:00:00:01", world.devices["shank"].name, WearableKind.REHAB_IMU,
                     BodySegment.SHANK), 80)
        model.wearables_changed()
        spec = model.sources.spec_for(exercise_from_catalogue(EX))  # type: ignore[attr-defined]
        assert str(spec) == "ble+camera:0" and not model.sources.demo
        rec = await do_set(flow, model)
        assert rec is not None and rec.rep_count >= REPS
        assert {r.source for r in rec.reps} <= {"camera", "camera+imu"}, rec.reps
        assert len(opened) == 2 and not any(w.running for w in opened)
    finally:
        model.close()
        await world.close()
