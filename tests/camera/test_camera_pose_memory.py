"""The pose estimator built for the kiosk's memory budget (sensors/camera/pose_graph.py).

Each case runs in a fresh interpreter: what a process has imported, and its memory, are
what is measured. The real MediaPipe model runs on real photos (tests/helpers/camera_photos).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.helpers.camera_photos import PHOTO_DIR, photo

from sensors.camera.errors import CameraError

pytestmark = pytest.mark.timeout(120)
ROOT = Path(__file__).resolve().parents[2]

_RUN = """
import json, sys
from pathlib import Path
import cv2
import numpy as np

def anon_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024

from sensors.camera.pose import MediaPipePose
images = [cv2.imread(sys.argv[1] + "/" + n) for n in ("basketball1.png", "messi5.jpg")]
before = anon_mb()
pose = MediaPipePose(video=False, detector_xnnpack=sys.argv[2] == "xnnpack")
frames = [pose.estimate(im, 0.0) for im in images]
out = {"anon_mb": anon_mb() - before,
       "xy": [f.xy_px.tolist() if f is not None else None for f in frames],
       "matplotlib": "matplotlib" in sys.modules, "tasks": "mediapipe.tasks" in sys.modules}
pose.close()
if sys.argv[3] == "whole":  # code that wants the whole package later still gets it
    import mediapipe as mp
    out["version"] = mp.__version__
    out["pose"] = mp.solutions.pose.Pose.__name__
    out["image"] = mp.Image.__name__
print(json.dumps(out))
"""


def _run(detector: str, then: str = "") -> dict:
    photo("basketball1.png")  # fails with the install command when the photos are missing
    run = subprocess.run([sys.executable, "-c", _RUN, str(PHOTO_DIR), detector, then],
                         cwd=ROOT, capture_output=True, text=True, timeout=100)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_pose_loads_without_plotting_or_the_tasks_api_and_mediapipe_stays_whole():
    got = _run("tflite", "whole")
    assert got["xy"][0] is not None and got["xy"][1] is not None
    assert not got["matplotlib"], "importing the pose model pulled in matplotlib"
    assert not got["tasks"], "importing the pose model pulled in MediaPipe's Tasks API"
    assert (got["version"], got["pose"], got["image"]) == ("0.10.18", "Pose", "Image")


def test_detector_on_tflite_kernels_finds_the_same_landmarks_in_less_memory():
    lean, default = _run("tflite"), _run("xnnpack")
    for a, b in zip(lean["xy"], default["xy"], strict=True):
        assert a is not None and b is not None
        # the same model on other kernels: float rounding only (< 1 px on 640x480)
        assert max(abs(p - q) for pa, pb in zip(a, b) for p, q in zip(pa, pb)) < 1.0
    # XNNPACK kept a float32 copy of the detector's weights beside its packed one (~22 MB)
    assert lean["anon_mb"] < default["anon_mb"] - 10.0, (lean["anon_mb"], default["anon_mb"])


def test_a_pose_graph_without_the_expected_detector_is_a_clear_error():
    from sensors.camera.pose_graph import import_pose_solution, run_detector_on_tflite_kernels

    import_pose_solution()
    from mediapipe.framework import calculator_pb2

    config = calculator_pb2.CalculatorGraphConfig()
    config.node.add(name="somethingelse", calculator="InferenceCalculatorCpu")
    with pytest.raises(CameraError, match="mediapipe==0.10.18"):
        run_detector_on_tflite_kernels(config)
