"""One camera capture, two consumers (sensors/camera/hub.py): every subscriber sees the
same frames, a slow one loses only its own oldest frames, and the pose worker (real
MediaPipe on photos of a person) runs while a call's video track sends the same frames to
an aiortc peer on loopback."""

from __future__ import annotations

import asyncio
import queue
import time
from typing import Any

import numpy as np
import pytest

from tests.helpers.camera_photos import photo  # noqa: E402
from tests.helpers.visit_world import VideoSink, require_aiortc, until  # noqa: E402

from sensors.camera.hub import FrameHub  # noqa: E402
from sensors.camera.synthetic import SyntheticFrames  # noqa: E402

pytestmark = pytest.mark.timeout(120)


class StepSource:
    """A camera the test advances one frame at a time (None ends it)."""

    fps = 15.0

    def __init__(self) -> None:
        self.q: queue.Queue[tuple[float, np.ndarray] | None] = queue.Queue()
        self.closed = False

    def read(self) -> tuple[float, np.ndarray] | None:
        return self.q.get()

    def close(self) -> None:
        self.closed = True
        self.q.put(None)


def _frame(n: int) -> tuple[float, np.ndarray]:
    return n / 15.0, np.full((4, 4, 3), n, np.uint8)


def _wait(cond: Any) -> None:
    end = time.monotonic() + 5
    while not cond():
        assert time.monotonic() < end
        time.sleep(0.002)


def test_every_subscriber_gets_the_same_frames_and_a_slow_one_drops_only_its_own() -> None:
    src = StepSource()
    hub = FrameHub(src)
    pose, call = hub.subscribe("pose", depth=8), hub.subscribe("call")
    hub.start()
    frames = [_frame(n) for n in range(5)]
    for f in frames:
        src.q.put(f)
    _wait(lambda: hub.frames_ == 5)
    assert [pose.read(1.0) for _ in range(5)] == frames  # in order, none lost
    assert call.dropped_ == 4 and call.received_ == 5  # never read: kept only the newest
    newest = call.latest()
    assert newest is frames[-1] and newest[1] is frames[-1][1]  # shared, not copied
    assert call.latest() is frames[-1]  # latest() does not consume the newest
    call.close()
    assert hub.subscribers == ["pose"]
    src.q.put(_frame(5))
    _wait(lambda: hub.frames_ == 6)
    assert pose.read(1.0)[0] == pytest.approx(5 / 15.0)  # type: ignore[index]
    assert call.received_ == 5  # closed: no more
    src.q.put(None)  # the camera ends: readers get None, not a hang
    assert pose.read(5.0) is None
    hub.stop()
    assert src.closed and not hub.running


def test_a_failing_camera_ends_the_readers_and_is_kept() -> None:
    class Broken:
        fps = 15.0

        def read(self) -> Any:
            raise OSError("camera unplugged")

        def close(self) -> None:
            pass

    hub = FrameHub(Broken())
    sub = hub.subscribe("pose")
    hub.start()
    assert sub.read(5.0) is None
    assert isinstance(hub.error_, OSError)
    hub.stop()


def test_synthetic_frames_move_and_end() -> None:
    src = SyntheticFrames(64, 48, 15, frames=3, paced=False)
    got = [src.read() for _ in range(4)]
    assert got[3] is None
    shapes = {g[1].shape for g in got[:3]}  # type: ignore[index]
    assert shapes == {(48, 64, 3)}
    assert not np.array_equal(got[0][1], got[1][1])  # type: ignore[index]


class PhotoCamera:
    """A live camera at 15 fps showing a person (two photos in turn), ``n`` frames."""

    fps = 15.0

    def __init__(self, n: int) -> None:
        self.images = [photo("basketball1.png"), photo("basketball2.png")]
        self.inner = SyntheticFrames(640, 480, 15, frames=n)

    def read(self) -> tuple[float, np.ndarray] | None:
        got = self.inner.read()
        return None if got is None else (got[0], self.images[self.inner.n_ % 2])

    def close(self) -> None:
        self.inner.close()


@pytest.mark.alone  # MediaPipe and the call's encoder keep up with a 15 fps camera
async def test_pose_worker_runs_on_the_call_camera_during_a_call() -> None:
    require_aiortc()
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

    from kiosk.adapters.call import AiortcCall
    from sensors.camera.pose import MediaPipePose
    from sensors.camera.worker import CameraWorker

    hub = FrameHub(PhotoCamera(45))  # 3 s
    with MediaPipePose(video=True) as pose:
        worker = CameraWorker(hub.subscribe("pose"), pose)
        call = AiortcCall(hub.subscribe("call"))
        peer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        peer.addTransceiver("video", direction="recvonly")
        peer.addTransceiver("audio", direction="recvonly")
        video = VideoSink(peer)
        got = video.sizes
        await peer.setLocalDescription(await peer.createOffer())
        answer = await call.answer(peer.localDescription.sdp)
        await peer.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        hub.start()
        worker.start()
        try:
            await until(lambda: len(got) >= 15, 30, "15 frames at the peer")
            await until(lambda: not hub.running, 30, "the camera to end")
            await asyncio.to_thread(worker.join, 30)
        finally:
            worker.stop()
            await call.close()
            video.cancel()
            await peer.close()
            hub.stop()
    assert worker.error_ is None and hub.frames_ == 45
    assert worker.frames_ >= 15  # the exercise's pose ran on the shared frames
    latest = worker.latest()
    assert latest is not None and latest.pose is not None  # a person found
    assert set(got) == {(640, 480)}
