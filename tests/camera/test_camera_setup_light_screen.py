"""The camera set-up screen in a dark room, rendered offscreen (Kivy's window is per
process, so in a child): the real photo darkened as the camera's picture, nobody found; the
screen says the light's problem (not "Step into the picture"), whole in its box, Start
disabled, at 800x480 and 1280x800, and in Spanish at 800x480 (each light message would fit
the same box); then the light on and the
patient in place: Start enabled. The PNGs are kept in the test's tmp folder to look at."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import os, sys
from kiosk.headless import prepare_env
SIZE = (int(sys.argv[2]), int(sys.argv[3]))
prepare_env(os.path.join(sys.argv[1], f"kivy{SIZE[0]}"), offscreen=True)
from kiosk.kivy_setup import configure_kivy
configure_kivy(SIZE, fullscreen=False, pi=False)  # one size a process: a resize garbles offscreen
from kivy.base import EventLoop
from kivy.core.window import Window
from kivy.uix.screenmanager import NoTransition, ScreenManager
from tests.helpers.camera_photos import photo
from tests.helpers.camera_synth import seated_frame
from tests.helpers.lit_photos import darkened
from tests.kiosk.text_fit import overflow
from kiosk.camera_setup import CameraSetupScreen
from kiosk.camera_setup_vm import LIGHT_MESSAGES, CameraSetupVM
from kiosk.i18n import _, set_language
from sensors.camera.angles import CameraJoint
from sensors.camera.worker import CameraResult

image = photo("basketball1.png")
dark = darkened(image, 0.25)
now = [0.0]
state = {"result": CameraResult(0.0, dark, None, 30.0, 31.0)}
EventLoop.ensure_window()
sm = ScreenManager(transition=NoTransition())
Window.add_widget(sm)


def render(name):
    for _k in range(3):
        EventLoop.idle()
    screen = sm.current_screen
    view = screen.tick()
    for _k in range(3):
        EventLoop.idle()
    assert tuple(Window.size) == SIZE, Window.size
    assert view.problem == "too_dark" and screen.start_button.disabled, view
    assert "Step into" not in screen.message.text
    for text in LIGHT_MESSAGES.values():  # each light message whole in the same box
        assert overflow(screen.message, _(text)) == "", (name, text, overflow(screen.message, _(text)))
    Window.screenshot(name=os.path.join(sys.argv[1], name + ".png"))
    print(name, repr(screen.message.text))
    return screen


def screen_for():
    screen = CameraSetupScreen(CameraSetupVM(CameraJoint.KNEE_RIGHT), lambda: state["result"],
                               lambda: now[0], lambda: None, name=f"s{len(sm.screens)}")
    sm.add_widget(screen)
    sm.current = screen.name
    return screen


screen_for()
screen = render(f"setup_dark_{SIZE[0]}x{SIZE[1]}")
assert screen.message.text.startswith("Too dark for the camera")
for k in range(12):  # the light on, the patient in place: ready after the second
    now[0] = 1.0 + k * 0.1
    state["result"] = CameraResult(now[0], image, seated_frame(now[0], 90), 30.0, 31.0)
    view = screen.tick()
assert view.ready and not screen.start_button.disabled, view
if sys.argv[4:] == ["es"]:  # the longer Spanish words on the small screen
    set_language("es")
    state["result"] = CameraResult(3.0, dark, None, 30.0, 31.0)
    screen_for()
    screen = render(f"setup_dark_es_{SIZE[0]}x{SIZE[1]}")
    assert screen.message.text.startswith("Hay muy poca luz"), screen.message.text
print("DARK SCREEN OK")
"""


@pytest.mark.timeout(120)
def test_dark_room_setup_screen_rendered(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    runs = [subprocess.Popen([sys.executable, "-c", SCRIPT, str(tmp_path), *args], cwd=REPO,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
            for args in (("800", "480", "es"), ("1280", "800"))]  # side by side
    for proc in runs:
        out, err = proc.communicate(timeout=100)
        assert proc.returncode == 0 and "DARK SCREEN OK" in out, out[-2000:] + err[-3000:]
    for name in ("setup_dark_800x480", "setup_dark_1280x800", "setup_dark_es_800x480"):
        assert (tmp_path / f"{name}0001.png").stat().st_size > 10_000, name
