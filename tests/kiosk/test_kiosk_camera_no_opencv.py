"""The kiosk's live camera never loads OpenCV (issue 15: ``import cv2`` alone is ~28 MB of
the 250 MB budget). In a fresh interpreter (a subprocess: nothing imported yet), a camera
exercise with ``/dev/video0`` present goes the kiosk's way: ``pick_source`` picks the camera,
``open_sources`` opens it on the kiosk's :class:`SharedCamera` (its default capture,
``live_capture``, over the fake V4L2 device of tests/helpers/fake_v4l2.py), and the real
MediaPipe pose worker estimates frames from it; then ``rehab session --source camera:0``'s
way (its own capture and model) reads a batch. ``cv2`` must not be in ``sys.modules``.
The control: a camera offering neither MJPG nor YUYV falls back to OpenCV, and the same
check sees cv2 loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = r"""
import asyncio, functools, json, sys, time
from pathlib import Path

from kiosk.adapters.camera import SharedCamera, live_capture
from sensors.camera import v4l2_abi as abi
from sensors.camera.capture import open_live_camera
from tests.helpers.fake_v4l2 import FakeV4l2
from therapy.plan import exercise_from_catalogue
from therapy.sources import SourceOptions, open_sources, pick_source
from therapy.store import TherapyStore

tmp, fmt = Path(sys.argv[1]), abi.fourcc(sys.argv[2])
dev = tmp / "dev"
dev.mkdir()
(dev / "video0").touch()  # a camera is plugged in
out = {"imported_before": "cv2" in sys.modules}
store = TherapyStore(tmp / "rehab.db")
ex = exercise_from_catalogue("knee_extension_seated")
spec = pick_source(store, dev, ex)
out["spec"] = str(spec)
kiosk_cam = FakeV4l2(str(dev / "video0"), formats=(fmt,), paced=True)
cam = SharedCamera(dev_dir=dev, capture=functools.partial(live_capture, v4l2_os=kiosk_cam))
try:
    opened = open_sources(spec, ex, store, SourceOptions(camera_worker=cam.open_pose))
    worker = opened.distal.worker
    deadline = time.monotonic() + 30
    while worker.frames_ < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    out["kiosk_pose_frames"] = worker.frames_
    out["kiosk_pose_error"] = repr(worker.error_) if worker.error_ else None
    worker.stop()
    out["kiosk_camera_closed"] = not kiosk_cam.fds and not kiosk_cam.streaming

    session_cam = FakeV4l2("/dev/video0", formats=(fmt,), paced=True)
    opened = open_sources(spec, ex, store, SourceOptions(
        camera_capture=functools.partial(open_live_camera, v4l2_os=session_cam)))

    async def one_batch():
        source = opened.distal
        try:
            await source.__anext__()
        finally:
            await source.aclose()

    asyncio.run(one_batch())
    out["session_frames"] = session_cam.sequence
    out["session_camera_closed"] = not session_cam.fds
except Exception as exc:
    out["error"] = f"{type(exc).__name__}: {exc}"
out["cv2"] = "cv2" in sys.modules
print(json.dumps(out))
"""


def _run(tmp_path: Path, fourcc: str) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path), fourcc],
                          capture_output=True, text=True, timeout=150,
                          cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.timeout(180)
@pytest.mark.parametrize("fourcc", ["MJPG", "YUYV"])
def test_the_kiosks_live_camera_path_never_imports_cv2(tmp_path: Path, fourcc: str) -> None:
    got = _run(tmp_path, fourcc)
    assert got["spec"] == "camera:0" and "error" not in got, got
    assert got["kiosk_pose_frames"] >= 5 and got["kiosk_pose_error"] is None, got
    assert got["kiosk_camera_closed"] and got["session_camera_closed"], got
    assert got["session_frames"] >= 1, got
    assert got == {**got, "imported_before": False, "cv2": False}


@pytest.mark.timeout(180)
def test_the_check_sees_cv2_when_a_camera_falls_back_to_opencv(tmp_path: Path) -> None:
    got = _run(tmp_path, "H264")  # neither MJPG nor YUYV: OpenCV it is (and it fails here)
    assert "No camera found" in str(got.get("error")), got
    assert got["cv2"] is True, got
