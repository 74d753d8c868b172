"""``rehab demo`` writes the figure's frames as PNGs people can look at, and the kiosk's
DemoFigure widget plays the same frames on a real (offscreen) Kivy canvas."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rehab.cli import main
from sensors.sim.figure import TONE_RGB, Tone, demo

REPO = Path(__file__).resolve().parents[2]
MOVING = np.array([int(255 * c) for c in TONE_RGB[Tone.MOVING]])


def moving_pixels(path: Path) -> np.ndarray:
    """Mask of the pixels painted in the moving limb's colour."""
    rgb = np.asarray(Image.open(path).convert("RGB"), int)
    return np.abs(rgb - MOVING).sum(axis=2) < 30


def test_rehab_demo_writes_every_frame_and_a_sheet(tmp_path: Path, capsys) -> None:
    assert main(["demo", "knee_extension_seated", "--out", str(tmp_path), "--fps", "4",
                 "--size", "128"]) == 0
    n = len(demo("knee_extension_seated", 4.0).frames)
    frames = sorted(tmp_path.glob("frame_*.png"))
    assert len(frames) == n and f"{n} frames" in capsys.readouterr().out
    assert Image.open(frames[0]).size == (128, 128)
    assert Image.open(tmp_path / "sheet.png").size == (128 * 5, 128)
    rest, top = moving_pixels(frames[0]), moving_pixels(frames[n // 3])
    assert rest.sum() > 50 and top.sum() > 50
    # the shank has swung forward: its pixels moved to the right of the picture
    assert np.nonzero(top)[1].mean() > np.nonzero(rest)[1].mean() + 5


@pytest.mark.parametrize("argv,message", [
    (["demo", "moonwalk", "--out", "X"], "unknown exercise 'moonwalk'"),
    (["demo", "bridge"], "--out DIR is required"),
    (["demo", "--out", "X"], "name an EXERCISE"),
    (["demo", "bridge", "--out", "X", "--fps", "0"], "--fps must be 1..60"),
    (["demo", "bridge", "--out", "X", "--size", "10"], "--size must be 64.."),
])
def test_rehab_demo_refuses_bad_input_in_one_line(argv, message, tmp_path, capsys) -> None:
    argv = [str(tmp_path / a) if a == "X" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not any(tmp_path.iterdir())


def test_rehab_demo_names_an_out_folder_that_cannot_be_made(tmp_path, capsys) -> None:
    (tmp_path / "file").write_text("x")
    assert main(["demo", "bridge", "--out", str(tmp_path / "file" / "sub")]) == 2
    assert "cannot create" in capsys.readouterr().err


WIDGET_SCRIPT = r"""
import os, sys
from kiosk.headless import prepare_env
prepare_env(sys.argv[1], offscreen=True)  # Mesa renders without a display
from kivy.core.window import Window
Window.size = (400, 400)
from kivy.base import EventLoop
from kivy.clock import Clock
from kiosk.ui.demo_figure import DemoFigure
from therapy.plan import exercise_from_catalogue

# as the instruction screen holds it: the plan entry's prescription
fig = DemoFigure.for_plan_item(exercise_from_catalogue("elbow_flexion"), fps=20,
                               size=(400, 400), pos=(0, 0))
assert fig._event is None  # not on screen: not playing
Window.add_widget(fig)
EventLoop.ensure_window()
for _ in range(3):
    EventLoop.idle()
Window.screenshot(name=os.path.join(sys.argv[1], "rest.png"))
while fig.frame_ < 25:  # the clock plays it: up to the top of the curl
    EventLoop.idle()
Window.screenshot(name=os.path.join(sys.argv[1], "top.png"))
n = len(fig._demo.frames)
for _ in range(n - fig.frame_):
    fig.step()
assert fig.frame_ < 25, fig.frame_  # it loops
fig.stop()
assert fig._event is None  # the screen was left
fig.start()
assert fig._event is not None
Window.remove_widget(fig)
assert fig._event is None  # off screen: stopped
fig.exercise_id = "bridge"
assert fig.frame_ == 0 and len(fig._demo.frames) != n
print("WIDGET OK", fig.frames_drawn_)
"""


def test_the_kiosk_widget_plays_the_figure_on_a_real_canvas(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    proc = subprocess.run([sys.executable, "-c", WIDGET_SCRIPT, str(tmp_path)], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0 and "WIDGET OK" in proc.stdout, proc.stderr[-3000:]
    # Window.screenshot numbers each name's files (rest0001.png)
    rest = moving_pixels(next(tmp_path.glob("rest*.png")))
    top = moving_pixels(next(tmp_path.glob("top*.png")))
    assert rest.sum() > 200 and top.sum() > 200
    # image rows grow downwards: the forearm came up, its pixels rose
    assert np.nonzero(top)[0].mean() < np.nonzero(rest)[0].mean() - 10
