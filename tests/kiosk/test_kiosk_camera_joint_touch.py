"""The live screen's camera picture highlights the plan's joint and side (offscreen kiosk,
800x480): a left elbow curl on the stand-in camera (``kiosk.demo_devices.DemoCameraSources``:
simulated wearables count, a real ``CameraWorker`` supplies picture and skeleton) draws the
left shoulder-elbow and elbow-wrist bones highlighted, not the right knee's, as it did for
every exercise. Saves kiosk-camera-left-elbow*.png (looked at)."""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
from pathlib import Path

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy

configure_kivy((800, 480), fullscreen=False, pi=False)

from kivy.core.window import Window  # noqa: I001
from kivy.graphics import Line
from tests.helpers.chromium import shot_path
from tests.helpers.kiosk_touch import TEST_PIN, enter, provision, until
from flow_helpers import silent_audio

from kiosk.camera_setup_vm import bones
from kiosk.demo_devices import DemoCameraSources
from kiosk.model import KioskModel
from kiosk.ui.app import KioskApp
from sensors.camera.angles import CameraJoint
from therapy.plan import Side, exercise_from_catalogue

pytestmark = pytest.mark.timeout(90)


def _highlighted(camera: object, joint: CameraJoint) -> tuple[list[list[float]], list[list[float]]]:
    """The thick lines drawn over the picture, and those ``joint``'s bones should give."""
    canvas = camera.canvas.after  # type: ignore[attr-defined]
    drawn = [[round(p, 1) for p in i.points] for i in canvas.children
             if isinstance(i, Line) and i.width == 3]
    nw, nh = camera.norm_image_size  # type: ignore[attr-defined]
    x0 = camera.center_x - nw / 2  # type: ignore[attr-defined]
    y0 = camera.center_y - nh / 2  # type: ignore[attr-defined]
    want = [[round(v, 1) for v in (x0 + b.x0 * nw, y0 + (1 - b.y0) * nh,
                                   x0 + b.x1 * nw, y0 + (1 - b.y1) * nh)]
            for b in bones(camera._pose, joint) if b.highlight]  # type: ignore[attr-defined]
    return drawn, want


async def test_the_live_camera_picture_highlights_the_plans_joint(tmp_path: Path) -> None:
    data = tmp_path / "dev"
    provision(data)
    cams = DemoCameraSources(4.0)
    model = KioskModel(data, sources=cams)
    app = KioskApp(model, audio=silent_audio())
    task = asyncio.ensure_future(app.async_run(async_lib="asyncio"))
    try:
        await asyncio.wait_for(app.first_frame.wait(), 30)
        await enter(app, TEST_PIN)
        flow = app.flow
        ex = dataclasses.replace(exercise_from_catalogue("elbow_flexion", Side.LEFT), sets=1,
                                 reps=20)
        flow.start_exercise(ex)
        flow.pain_vm.choose(1)
        flow.pain_done()
        flow.begin_set()
        await until(lambda: app.sm.current == "live", 5, "the live set")
        live = app.screens["live"]
        await until(lambda: live.camera is not None and live.camera._pose is not None, 10,
                    "the camera's picture on the live screen")
        await asyncio.sleep(0.3)  # laid out
        assert live.camera.joint == CameraJoint.ELBOW_LEFT
        drawn, want = _highlighted(live.camera, CameraJoint.ELBOW_LEFT)
        assert len(want) == 2 and sorted(drawn) == sorted(want)
        _, knee_want = _highlighted(live.camera, CameraJoint.KNEE_RIGHT)
        assert not set(map(tuple, knee_want)) & set(map(tuple, drawn))  # not the right knee
        path = shot_path("kiosk-camera-left-elbow.png")
        for old in path.parent.glob(path.stem + "[0-9][0-9][0-9][0-9].png"):
            old.unlink()
        made = Path(Window.screenshot(name=str(path)))
        assert made.is_file() and made.stat().st_size > 10_000
        flow.stop_set()
        run = model.run
        assert run is not None
        run.end_set()
        await until(lambda: not run.set_running, 10, "the set to end")
    finally:
        app.stop()
        await asyncio.wait_for(task, 10)
        await asyncio.get_running_loop().run_in_executor(None, cams.stop)
        model.close()
