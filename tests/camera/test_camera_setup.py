"""Set-up help: framing checks and the set-up screen's view-model (pure), and the Kivy
screen itself rendered offscreen in a child process (Kivy's window is per process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tests.helpers.camera_synth import seated_frame

from kiosk.camera_setup_vm import HOLD_STILL, READY, CameraSetupVM, view_for
from sensors.camera.angles import CameraJoint
from sensors.camera.framing import FramingProblem, View, check_framing
from sensors.camera.landmarks import Landmark as L
from sensors.camera.landmarks import PoseFrame

REPO = Path(__file__).resolve().parents[2]


def _moved(frame: PoseFrame, dx: float = 0.0, dy: float = 0.0) -> PoseFrame:
    return PoseFrame(frame.t_s, frame.xy_px + [dx, dy], frame.visibility, frame.width,
                     frame.height)


def test_side_on_and_fully_in_frame_passes():
    check = check_framing(seated_frame(0, 90), CameraJoint.KNEE_RIGHT, View.SIDE_ON)
    assert check.ok and check.problems == () and check.spread_ratio < 0.1


def test_each_framing_problem_is_named():
    j = CameraJoint.KNEE_RIGHT
    assert check_framing(None, j).problems == (FramingProblem.NO_PERSON,)
    assert check_framing(seated_frame(0, 90, frontal=True), j).problems == (
        FramingProblem.NOT_SIDE_ON,)
    assert check_framing(seated_frame(0, 90), j, View.FACING).problems == (
        FramingProblem.NOT_FACING,)
    low = check_framing(_moved(seated_frame(0, 90), dy=120), j)  # ankle below the image
    assert low.problems == (FramingProblem.NOT_IN_FRAME,) and low.missing == (L.RIGHT_ANKLE,)
    f = seated_frame(0, 90)
    small = PoseFrame(0, f.xy_px * 0.3, f.visibility, 640, 480)  # far away: small
    assert check_framing(small, j).problems == (FramingProblem.TOO_FAR,)
    vis = f.visibility.copy()
    vis[L.NOSE] = 0.1
    assert check_framing(PoseFrame(0, f.xy_px, vis, 640, 480), j).missing == (L.NOSE,)


def test_abduction_exercises_want_the_patient_facing_the_camera():
    """The view comes from the catalogue's plane: abduction is a frontal-plane movement."""
    assert view_for("shoulder_abduction_standing") is View.FACING
    assert view_for("hip_abduction_side_lying") is View.FACING
    assert view_for("knee_extension_seated") is View.SIDE_ON
    assert view_for(None) is View.SIDE_ON
    assert view_for("not_in_the_catalogue") is View.SIDE_ON
    assert CameraSetupVM(CameraJoint.SHOULDER_RIGHT, "shoulder_abduction_standing").view \
        is View.FACING


def test_ready_only_after_a_second_of_steady_framing():
    vm = CameraSetupVM(CameraJoint.KNEE_RIGHT, "knee_extension_seated", ready_after_s=1.0)
    v = vm.update(0.0, None)
    assert not v.ready and "Step into the picture" in v.message and v.bones == ()
    v = vm.update(0.1, seated_frame(0.1, 90, frontal=True))
    assert v.message == "Turn sideways so the camera sees your right side."
    v = vm.update(0.2, seated_frame(0.2, 90))
    assert v.framed and not v.ready and v.message == HOLD_STILL
    v = vm.update(0.9, seated_frame(0.9, 90))
    assert not v.ready and v.progress == pytest.approx(0.7)
    v = vm.update(1.0, seated_frame(1.0, 90, frontal=True))  # turned away: start again
    assert not v.ready and v.progress == 0.0
    vm.update(1.1, seated_frame(1.1, 90))
    v = vm.update(2.15, seated_frame(2.15, 90))
    assert v.ready and v.message == READY


def test_skeleton_bones_are_normalised_and_the_joint_highlighted():
    vm = CameraSetupVM(CameraJoint.KNEE_RIGHT)
    f = seated_frame(0, 90)
    v = vm.update(0.0, f)
    assert len(v.bones) == 14
    hi = [b for b in v.bones if b.highlight]
    assert len(hi) == 2  # thigh and shank of the right leg
    hip, knee = f.point(L.RIGHT_HIP), f.point(L.RIGHT_KNEE)
    assert any(np.allclose([b.x0 * 640, b.y0 * 480, b.x1 * 640, b.y1 * 480], [*hip, *knee])
               for b in hi)
    assert all(0 <= c <= 1 for b in v.bones for c in (b.x0, b.y0, b.x1, b.y1))


SCREEN_SCRIPT = r"""
import os, sys, numpy as np
from kiosk.headless import prepare_env
prepare_env(sys.argv[1], offscreen=True)  # Mesa renders without a display
from kivy.core.window import Window
from kivy.uix.screenmanager import ScreenManager
from tests.helpers.camera_synth import seated_frame
from kiosk.camera_setup import CameraSetupScreen
from kiosk.camera_setup_vm import CameraSetupVM
from sensors.camera.angles import CameraJoint
from sensors.camera.worker import CameraResult

now = [0.0]
image = np.zeros((480, 640, 3), np.uint8)
image[:, :, 2] = 200  # red in BGR
state = {"result": None}
started = []
screen = CameraSetupScreen(CameraSetupVM(CameraJoint.KNEE_RIGHT), lambda: state["result"],
                           lambda: now[0], lambda: started.append(1))
sm = ScreenManager()
sm.add_widget(screen)
Window.add_widget(sm)
from kivy.base import EventLoop
EventLoop.ensure_window()
for _ in range(3):
    EventLoop.idle()  # lay out before the first tick
assert screen.tick() is None and screen.start_button.disabled
for k in range(20):
    now[0] = k * 0.1
    state["result"] = CameraResult(now[0], image, seated_frame(now[0], 90), 30.0, 31.0)
    view = screen.tick()
    EventLoop.idle()
assert view.ready and not screen.start_button.disabled, view
Window.screenshot(name=os.path.join(sys.argv[1], "setup.png"))
assert screen.preview.texture.size == [640, 480] or tuple(screen.preview.texture.size) == (640, 480)
lines = [i for i in screen.preview.canvas.after.children if type(i).__name__ == "Line"]
assert len(lines) == 14, len(lines)
screen.start_button.dispatch("on_release")
assert started == [1]
state["result"] = CameraResult(2.1, image, None, 30.0, 31.0)
now[0] = 2.1
view = screen.tick()
assert screen.start_button.disabled and "Step into" in screen.message.text
print("SCREEN OK")
"""


@pytest.mark.timeout(120)
def test_kivy_setup_screen_offscreen(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    proc = subprocess.run(
        [sys.executable, "-c", SCREEN_SCRIPT, str(tmp_path / "kivy"), str(Path(__file__).parent)],
        check=False, cwd=REPO, env=env, capture_output=True, text=True, timeout=100)
    assert proc.returncode == 0 and "SCREEN OK" in proc.stdout, proc.stderr[-3000:]
