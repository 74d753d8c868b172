"""A camera exercise in the kiosk with the camera fakes: a ``/dev/video0`` present makes the
kiosk pick the camera for a camera exercise (``therapy.sources.pick_source``, the rule
``rehab session --source auto`` follows); the set's angles come from the kiosk's pose worker
(a real ``CameraWorker``: grab and inference threads) over a paced fake capture and a pose
estimator drawing a seated patient side-on doing knee extensions. Start first shows the
camera set-up for the exercise's joint and side (the gate: Done once the camera sees the
patient well, Back to the instruction), and the set then reads the set-up's own pose worker.

By touch in the offscreen kiosk (issue 15's Tests), with a paired wearable (a bumble
virtual one, reached by unmodified bleak): the set is fused; the patient taps through the
gate (Back, Start again, Done once it is enabled), the live screen shows the camera's
picture, counts the reps and shows each rep's ROM, and every stored rep's ROM is the
camera's measure of the movement the wearable made (the camera films the same knee), its
source the camera. Through the flow (no Kivy): the camera alone counts the reps."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy

configure_kivy((800, 480), fullscreen=False, pi=False)

from tests.helpers.kiosk_touch import buttons, provision, running_kiosk, tap, texts
from touch_set import LiveLog, drawn, pain_after_to_summary, save_plan, to_instruction
from camera_gate import GateScreens, PacedFrames, pass_gate
from flow_helpers import silent_audio, until
from kiosk.model import KioskModel
from kiosk.settings import load_settings, save_settings
from kiosk.vm.flow import KioskFlow
from sensors.camera.landmarks import PoseFrame
from sensors.camera.worker import CameraWorker
from tests.helpers.camera_synth import knee_extension_flex, seated_frame
from therapy.plan import exercise_from_catalogue
from therapy.ports import FakeClock
from therapy.sources import SourceKind, SourceOptions

EX = "knee_extension_seated"
REPS = 2
PERIOD_S = 4.0  # one knee extension on camera


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


class FilmedLimb:
    """A pose estimator seeing a seated patient side-on, the knee where the wearable on the
    shank has it at the frame's time: the simulator's angle from rest (``truth``), played
    from the wearable's motion start (at rest before it, or while no wearable is on)."""

    def __init__(self, world: Any, truth: Any) -> None:
        self.world, self.truth = world, truth

    def estimate(self, image: np.ndarray, t_s: float) -> PoseFrame | None:
        dev = self.world.devices.get("shank")
        lift = 0.0 if dev is None else float(np.interp(
            t_s - dev.model.motion_t0_s, self.truth.angle_t_s, self.truth.angle_deg))
        return seated_frame(t_s, 90.0 - lift)  # the shank hangs at 90 degrees, raised

    def close(self) -> None:
        pass


def camera_opener(clock: Callable[[], float], opened: list[Any],
                  pose: Callable[[], Any] = lambda: KneeExtensionPose(REPS),
                  ) -> Callable[[], Any]:
    def open_pose() -> CameraWorker:
        worker = CameraWorker(PacedFrames(clock), pose())
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
    await pass_gate(flow)
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


STILL_S = 1e6  # clock seconds: the limb's motion starts this far ahead, i.e. it rests
CONNECT_WAIT_S = 15.0  # real seconds a connection attempt waits for the wearable


def patient_connector(world: Any) -> Any:
    """world.connector() with a connection attempt that outwaits a busy machine (the
    virtual backend's 1 s raced a connection completing: test_kiosk_sources_ble_touch)."""
    from sensors.ble.connector import BleakConnector, plain_resolve
    from sensors.ble.virtual.backend import BumbleBleakBackend

    return BleakConnector(backend=BumbleBleakBackend, resolve=plain_resolve,
                          bumble_air=world.air, max_attempts=1,
                          bumble_connect_timeout_s=CONNECT_WAIT_S)


@pytest.mark.timeout(120)
async def test_a_camera_exercise_with_a_paired_wearable_by_touch_is_fused(
        tmp_path: Path) -> None:
    from protocol.clock import ScaledClock
    from sensors.ble.ports import Wearable, WearableKind
    from sensors.ble.virtual.world import VirtualWearables
    from sensors.sim import SimConfig, simulate
    from sensors.types import BodySegment
    from therapy.devices import WearableRegistry

    from kiosk.vm.flow import CAMERA_READY

    # the host clock of the wearable and of the camera's frames; 2x: two reps in ~8 s
    clock = ScaledClock(2.0)
    world = VirtualWearables(clock)
    # exactly the target's reps, done once the set streams: none can be missed or extra
    sim = simulate(SimConfig(exercise_id=EX, reps=REPS, seed=0, drop_prob=0.0))
    truth = sim.truth
    data, dev = tmp_path / "data", tmp_path / "dev"
    dev.mkdir()
    (dev / "video0").touch()  # a camera is plugged in
    provision(data)
    opened: list[Any] = []
    model = KioskModel(data, dev_dir=dev, source_options=SourceOptions(
        ble_connector=lambda: patient_connector(world), clock=clock), camera=camera_opener(
        clock.now, opened, lambda: FilmedLimb(world, truth)))
    save_plan(model, {"exercise_id": EX, "side": "right", "sets": 1, "reps": REPS})
    shank = await world.add("F1:00:00:00:00:01", "shank", sim.distal)
    shank.model.motion_t0_s = clock.now() + STILL_S  # the patient sits still
    try:
        WearableRegistry(model.store).remember(
            Wearable("F1:00:00:00:00:01", shank.name, WearableKind.REHAB_IMU,
                     BodySegment.SHANK), 80)
        model.wearables_changed()
        spec = model.sources.spec_for(exercise_from_catalogue(EX))  # type: ignore[attr-defined]
        assert str(spec) == "ble+camera:0" and not model.sources.demo
        async with running_kiosk(model, audio=silent_audio()) as app:
            await to_instruction(app)
            await tap(app, "Start set 1")  # the gate: the camera set-up for the right knee
            assert app.sm.current == "camera_setup", texts(app)
            assert app.screens["camera_setup"].vm.joint.name == "KNEE_RIGHT"
            await drawn()
            await tap(app, "Back")
            await until(lambda: app.sm.current == "instruction", 5, "the instruction")
            await until(lambda: not opened[0].running, 5, "the set-up's camera off")
            await drawn()
            await tap(app, "Start set 1")
            assert app.sm.current == "camera_setup" and len(opened) == 2, texts(app)
            await until(lambda: bool(buttons(app, "Done")), 10,
                        "Done enabled: the camera set-up sees the patient well")
            assert CAMERA_READY in texts(app)
            shown = LiveLog(app)
            await tap(app, "Done")
            run = model.run
            assert app.sm.current == "live" and run is not None and run.set_running, texts(app)
            live = app.screens["live"]
            await until(lambda: any("(lower leg): connected" in t for t in shown.sensors), 30,
                        "the wearable streaming")
            await until(lambda: live.camera is not None and live.camera._pose is not None,
                        10, "the camera's picture on the live screen")
            shank.model.motion_t0_s = clock.now()  # the patient starts the exercise
            angles: list[str] = []
            live.angle.bind(text=lambda _w, v: angles.append(v))
            await until(lambda: app.sm.current == "pain", 40,
                        f"the set to end at its target ({run.live.reps_in_set} reps)")
            assert run.error == ""
            assert shown.counted() == list(range(1, REPS + 1)), shown.reps
            assert max(int(a.rstrip("°")) for a in angles) > 50, angles  # the knee, live
            await pain_after_to_summary(app)
        rec = model.last_record
        assert rec is not None and rec.rep_count == REPS
        # every rep measured by the camera (all of it seen: "camera", here 0.3 degrees from
        # the truth; "camera+imu" if frames went missing on a starved machine), filming the
        # movement the wearable made
        assert {r.source for r in rec.reps} <= {"camera", "camera+imu"}, rec.reps
        assert np.allclose([r.rom_deg for r in rec.reps], [r.rom_deg for r in truth.reps],
                           atol=5.0), (rec.reps, truth.reps)
        # the live screen showed each rep's ROM as stored (the camera's, once it came)
        for r in rec.reps:
            assert f"Last rep: {round(r.rom_deg)}°" in shown.rom, (shown.rom, rec.reps)
        assert len(opened) == 2 and not any(w.running for w in opened)
    finally:
        await world.close()
