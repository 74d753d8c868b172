"""The sample-source contract on the camera (sensors.camera.source.CameraSource).

A real video file read by OpenCV; the landmarks come from the synthetic seated body of
tests/helpers/camera_synth.py (a scripted pose model: the file's pixels carry no person), so
the true angle is known. The camera's samples are angles (degrees, NaN = unseen), not IMU
readings: the chunk and unit checks are its own, the rest of the contract is shared.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.helpers.camera_synth import knee_extension_flex, seated_frame
from source_contract import ENDED, SourceContract

from exercises import CATALOGUE
from sensors.camera import CameraError, CameraMissing
from sensors.camera.angles import CameraJoint
from sensors.camera.capture import ArrayCapture, OpenCvCapture, write_video
from sensors.camera.pose import ScriptedPose
from sensors.camera.source import CameraSource
from sensors.camera.stream import AngleChunk, CameraAngleStream
from sensors.types import SourceInfo

FPS = 30.0
EXERCISE = "knee_extension_seated"
DURATION_S = 8.0
ROM_DEG = 70.0  # knee flexion 90° -> 20° (camera_synth.knee_extension_flex)


def _times() -> np.ndarray:
    return np.arange(int(DURATION_S * FPS)) / FPS


def _frames() -> list:
    t = _times()
    return [seated_frame(float(tt), float(f)) for tt, f in
            zip(t, knee_extension_flex(t, reps=1))]


def _stream() -> CameraAngleStream:
    return CameraAngleStream(CameraJoint.KNEE_RIGHT, sign=CATALOGUE[EXERCISE].movement_sign)


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("camera") / "knee.avi"
    blank = np.zeros((48, 64, 3), np.uint8)
    assert write_video(path, [blank] * len(_times()), FPS, fourcc="MJPG") == len(_times())
    return path


class TestCameraSourceContract(SourceContract):
    FINITE = True  # a video file

    @pytest.fixture(autouse=True)
    def _video(self, video: Path) -> None:
        self.video = video

    async def make(self, stack: contextlib.AsyncExitStack) -> CameraSource:
        return CameraSource(OpenCvCapture(self.video), ScriptedPose(_frames()), _stream())

    async def failure(self, stack: contextlib.AsyncExitStack) -> BaseException | str:
        try:
            source = CameraSource.open_video(self.video.with_name("unplugged.avi"), _stream())
        except CameraError as exc:
            return exc
        await self.rest(source)
        return ENDED

    def check_samples(self, chunks: Sequence[Any], info: SourceInfo) -> None:
        assert all(isinstance(c, AngleChunk) for c in chunks)
        assert sum(len(c) for c in chunks) == len(_times())  # a file: every frame
        a = np.concatenate([c.angle_deg for c in chunks])
        assert np.isfinite(a).all()  # the joint is seen in every frame
        # Degrees, and the asked-for movement (the knee straightening) positive.
        assert float(a.max() - a[0]) == pytest.approx(ROM_DEG, abs=2.0)


class _Camera:
    """A frame source that fails after ``ok`` frames, the way a live camera that is
    unplugged does (OpenCvCapture.read raises CameraMissing)."""

    fps = FPS

    def __init__(self, ok: int) -> None:
        self._inner = ArrayCapture([np.zeros((4, 4, 3), np.uint8)] * ok, FPS)
        self.closed = 0

    def read(self):
        got = self._inner.read()
        if got is None:
            raise CameraMissing("/dev/video0", "no frame (camera unplugged?)")
        return got

    def close(self) -> None:
        self.closed += 1


async def test_an_unplugged_camera_mid_stream_is_a_camera_error_and_closes_it() -> None:
    camera = _Camera(ok=20)
    source = CameraSource(camera, ScriptedPose(_frames()), _stream())
    with pytest.raises(CameraMissing):
        async for _ in source:
            pass
    await source.aclose()
    assert camera.closed == 1


class _BrokenPose(ScriptedPose):
    def estimate(self, image_bgr, t_s):
        raise RuntimeError("model graph failed")


async def test_an_unexpected_pose_model_failure_reaches_the_consumer_as_a_camera_error() -> None:
    source = CameraSource(ArrayCapture([np.zeros((4, 4, 3), np.uint8)] * 3, FPS),
                          _BrokenPose([]), _stream())
    with pytest.raises(CameraError, match="model graph failed"):
        await source.__anext__()
    with pytest.raises(StopAsyncIteration):
        await source.__anext__()


class _SlowPose(ScriptedPose):
    """Holds each estimate until released, and notes whether the capture was closed
    while it ran."""

    def __init__(self, frames, capture: _Camera) -> None:
        super().__init__(frames)
        self.capture = capture
        self.release = threading.Event()
        self.started = threading.Event()
        self.closed_under_me = False

    def estimate(self, image_bgr, t_s):
        self.started.set()
        self.release.wait(5.0)
        self.closed_under_me |= self.capture.closed > 0
        return super().estimate(image_bgr, t_s)


async def test_aclose_waits_for_the_batch_in_progress_before_closing_the_capture() -> None:
    camera = _Camera(ok=50)
    pose = _SlowPose(_frames(), camera)
    source = CameraSource(camera, pose, _stream(), batch=1)
    reader = asyncio.ensure_future(source.__anext__())
    await asyncio.get_running_loop().run_in_executor(None, pose.started.wait, 5.0)
    reader.cancel()  # the consumer gives up mid-read: the read itself goes on
    closing = asyncio.ensure_future(source.aclose())
    await asyncio.sleep(0.05)
    assert not closing.done() and camera.closed == 0
    pose.release.set()
    await asyncio.wait_for(closing, 5.0)
    assert camera.closed == 1 and not pose.closed_under_me

