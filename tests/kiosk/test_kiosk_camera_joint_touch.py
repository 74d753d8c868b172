"""The live screen's camera picture highlights the plan's joint and side (offscreen kiosk,
800x480): a left elbow curl on the stand-in camera (``kiosk.demo_devices.DemoCameraSources``:
simulated wearables count, a real ``CameraWorker`` supplies picture and skeleton) draws the
left shoulder-elbow and elbow-wrist bones highlighted, not the right knee's, as it did for
every exercise. Saves kiosk-camera-left-elbow*.png (looked at)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy

configure_kivy((800, 480), fullscreen=False, pi=False)

from kivy.graphics import Line  # noqa: I001
from camera_live_set import left_elbow_camera_set, save_screenshot

from kiosk.camera_setup_vm import bones
from sensors.camera.angles import CameraJoint

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
    async with left_elbow_camera_set(tmp_path) as (_app, live):
        await asyncio.sleep(0.3)  # laid out
        assert live.camera.joint == CameraJoint.ELBOW_LEFT
        drawn, want = _highlighted(live.camera, CameraJoint.ELBOW_LEFT)
        assert len(want) == 2 and sorted(drawn) == sorted(want)
        _, knee_want = _highlighted(live.camera, CameraJoint.KNEE_RIGHT)
        assert not set(map(tuple, knee_want)) & set(map(tuple, drawn))  # not the right knee
        save_screenshot("kiosk-camera-left-elbow.png")
