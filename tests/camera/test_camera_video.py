"""A video written with OpenCV's VideoWriter, replayed through capture, the worker and
``rehab replay --camera`` (real OpenCV, real MediaPipe, photos from opencv-doc)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
from tests.helpers.camera_photos import photo

from rehab.cli import main
from sensors.camera import CameraMissing
from sensors.camera.capture import OpenCvCapture, write_video
from sensors.camera.pose import MediaPipePose, ScriptedPose
from sensors.camera.worker import CameraResult, CameraWorker

pytestmark = pytest.mark.timeout(120)
N_FRAMES = 8
FPS = 30.0


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    a, b = photo("basketball1.png"), photo("basketball2.png")
    path = tmp_path_factory.mktemp("video") / "throw.mp4"
    assert write_video(path, [a if k % 2 == 0 else b for k in range(N_FRAMES)], FPS) == N_FRAMES
    return path


@pytest.mark.parametrize(("name", "fourcc"), [("throw.mp4", "mp4v"), ("throw.avi", "MJPG")])
def test_written_video_reads_back_frame_by_frame(tmp_path, name, fourcc):
    a = photo("basketball1.png")
    path = tmp_path / name
    write_video(path, [a] * 5, FPS, fourcc=fourcc)
    cap = OpenCvCapture(path)
    got = []
    while (item := cap.read()) is not None:
        got.append(item)
    cap.close()
    assert cap.fps == pytest.approx(FPS)
    assert [t for t, _ in got] == pytest.approx([k / FPS for k in range(5)])
    for _, image in got:
        assert image.shape == a.shape
        assert np.mean(np.abs(image.astype(int) - a.astype(int))) < 8.0  # lossy codec


def test_missing_file_or_camera_is_a_camera_error(tmp_path):
    with pytest.raises(CameraMissing, match="no such file"):
        OpenCvCapture(tmp_path / "nope.mp4")
    with pytest.raises(CameraMissing):
        OpenCvCapture("/dev/video99")


def test_worker_runs_pose_on_every_file_frame_off_the_calling_thread(video):
    seen: list[tuple[str, CameraResult]] = []
    with MediaPipePose(video=True) as pose:
        worker = CameraWorker(OpenCvCapture(video), pose, drop_frames=False,
                              on_result=lambda r: seen.append((threading.current_thread().name,
                                                               r)))
        worker.start()
        worker.join(60)
        worker.stop()
    assert worker.error_ is None
    assert worker.frames_ == N_FRAMES and worker.dropped_ == 0
    assert all(name.startswith("camera-") for name, _ in seen)
    assert [r.t_s for _, r in seen] == pytest.approx([k / FPS for k in range(N_FRAMES)])
    assert all(r.pose is not None for _, r in seen)
    assert worker.latest() is seen[-1][1]
    assert all(r.total_ms >= r.pose_ms > 0 for _, r in seen)


def test_live_worker_drops_stale_frames_but_keeps_the_newest():
    import time

    class SlowPose(ScriptedPose):
        def estimate(self, image_bgr, t_s):
            time.sleep(0.02)
            return super().estimate(image_bgr, t_s)

    class Camera:  # a fake live camera: a frame every 2 ms, then it ends
        fps = 500.0

        def __init__(self):
            self.n = 0

        def read(self):
            time.sleep(0.002)
            self.n += 1
            return None if self.n > 100 else (self.n / 500.0, np.zeros((2, 2, 3), np.uint8))

        def close(self):
            pass

    worker = CameraWorker(Camera(), SlowPose([]), drop_frames=True)
    worker.start()
    worker.join(10)
    worker.stop()
    assert worker.error_ is None
    assert worker.dropped_ > 10  # ~90 expected: 2 ms frames, 20 ms model
    assert worker.frames_ + worker.dropped_ == 100
    assert worker.latest().t_s == pytest.approx(100 / 500.0)


def test_a_failing_camera_stops_the_worker_with_the_error():
    class Broken:
        fps = 30.0

        def read(self):
            raise CameraMissing(0, "no frame (camera unplugged?)")

        def close(self):
            pass

    worker = CameraWorker(Broken(), ScriptedPose([]))
    worker.start()
    worker.join(5)
    assert isinstance(worker.error_, CameraMissing)
    worker.stop()


def test_rehab_replay_camera_json_has_the_imu_replays_shape(video, tmp_path, capsys):
    imu = tmp_path / "knee.csv"
    assert main(["sim", "--exercise", "heel_slide", "--reps", "2", "--out", str(imu)]) == 0
    capsys.readouterr()
    assert main(["replay", str(imu), "--json"]) == 0
    imu_doc = json.loads(capsys.readouterr().out)
    assert main(["replay", str(video), "--camera", "--joint", "elbow_right", "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    doc = json.loads(out)
    assert set(doc) == set(imu_doc)
    assert doc["samples"] == N_FRAMES and doc["rejected"] == 0 and doc["count"] == 0
    assert doc["rate_hz"] == pytest.approx(FPS)


@pytest.mark.parametrize(("argv", "needle"), [
    (["--camera"], "--joint"),
    (["--camera", "--joint", "ankle_right"], "known: knee_left"),
])
def test_replay_camera_user_errors(video, capsys, argv, needle):
    assert main(["replay", str(video), *argv]) == 2
    assert needle in capsys.readouterr().err
