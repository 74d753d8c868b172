"""Camera frames are decoded only when someone takes them (issue 15: a Pi's one core).

The fake V4L2 camera (tests/helpers/fake_v4l2.py) sends 30 frames a second through the
frame hub; the kiosk's pose path (RateCap at 10/s on a subscriber, the CameraWorker's grab
and inference threads) takes about a third of them. Decodes are counted by a decoder
injected into the capture: they must follow the frames taken, not the frames captured; two
subscribers taking the same frame decode it once; corrupt frames found at decode time are
skipped and counted, and a second of them still ends the stream
(sensors/camera/lazy_frame.py, hub.py, v4l2_capture.py)."""

from __future__ import annotations

import queue
import threading
import time
from typing import Any

import numpy as np
import pytest

from sensors.camera import CameraError
from sensors.camera.frame_decode import FrameCorrupt, FrameLayout, decode_frame
from sensors.camera.hub import FrameHub
from sensors.camera.lazy_frame import CorruptRun, LazyFrame
from sensors.camera.rate_cap import RateCap
from sensors.camera.v4l2_capture import MAX_BAD_FRAMES, V4l2Capture
from sensors.camera.worker import CameraWorker
from tests.helpers.fake_v4l2 import FMT, FakeV4l2, picture_number

pytestmark = pytest.mark.timeout(60)


class CountingDecoder:
    """The capture's decoder, counting its calls (``delay_s``: a slow one, to let two
    takers of one frame meet inside it)."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, data: bytes, layout: FrameLayout) -> np.ndarray:
        with self._lock:
            self.calls += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        return decode_frame(data, layout)


class NoPose:
    """A pose model that finds nobody at once: the capture path alone is measured."""

    def estimate(self, image: np.ndarray, t_s: float) -> None:
        assert image.shape == (480, 640, 3)

    def close(self) -> None:
        pass


def _until(cond: Any, timeout_s: float, what: str) -> None:
    end = time.monotonic() + timeout_s
    while not cond():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.mark.alone  # the pose thread's rate (>= 10 in 1.5 s) on real clocks
@pytest.mark.parametrize("fmt", [FMT.MJPEG, FMT.YUYV])
def test_a_30_fps_camera_with_a_10_per_s_pose_worker_decodes_only_the_frames_taken(
        fmt: int) -> None:
    dev = FakeV4l2(formats=(fmt,), paced=True)
    decoder = CountingDecoder()
    hub = FrameHub(V4l2Capture(0, v4l2_os=dev, decode=decoder))
    worker = CameraWorker(RateCap(hub.subscribe("pose"), 10.0), NoPose())  # the kiosk's way
    hub.start()
    worker.start()
    try:
        _until(lambda: hub.frames_ >= 45, 10, "1.5 s of frames")
    finally:
        worker.stop()
        hub.stop()
    assert worker.error_ is None and hub.error_ is None
    captured, taken = hub.frames_, worker.frames_
    assert taken >= 10  # the pose ran at about 10/s
    assert taken <= decoder.calls <= taken + 1  # one decode per frame taken (one in flight)
    assert captured >= 2.5 * decoder.calls  # the other two thirds never decoded


def test_a_frame_two_subscribers_take_is_decoded_once_and_shared() -> None:
    dev = FakeV4l2()
    decoder = CountingDecoder(delay_s=0.05)
    cap = V4l2Capture(0, v4l2_os=dev, decode=decoder)
    steps: queue.Queue[Any] = queue.Queue()

    class Step:  # the camera's frames, one when the test says
        fps = 30.0

        def read_frame(self) -> Any:
            return steps.get()

        def close(self) -> None:
            steps.put(None)

    hub = FrameHub(Step())
    pose, call = hub.subscribe("pose"), hub.subscribe("call")
    hub.start()
    try:
        got = cap.read_frame()
        assert got is not None and isinstance(got[1], LazyFrame) and decoder.calls == 0
        steps.put(got)
        _until(lambda: hub.frames_ == 1, 5, "the frame through the hub")
        results: list[Any] = [None, None]
        meet = threading.Barrier(2)

        def take(i: int, sub: Any) -> None:
            meet.wait()
            results[i] = sub.read(5.0)

        threads = [threading.Thread(target=take, args=(i, s)) for i, s in enumerate((pose, call))]
        for th in threads:
            th.start()
        for th in threads:
            th.join(5)
        assert decoder.calls == 1  # both inside read() at once: one decode
        assert results[0][1] is results[1][1] and picture_number(results[0][1]) == 0
        assert call.latest()[1] is results[0][1] and call.latest() is call.latest()
        assert decoder.calls == 1  # latest() again and again: still the one decode
        assert results[0][0] == got[0]
    finally:
        steps.put(None)  # the camera ends
        hub.stop()
        cap.close()


def test_a_frame_nobody_takes_is_never_decoded_and_latest_decodes_only_the_newest() -> None:
    dev = FakeV4l2(paced=True)
    decoder = CountingDecoder()
    hub = FrameHub(V4l2Capture(0, v4l2_os=dev, decode=decoder))
    call = hub.subscribe("call")
    hub.start()
    try:
        _until(lambda: hub.frames_ >= 20, 10, "20 frames")
        assert decoder.calls == 0  # nobody took one
        newest = call.latest()
        assert newest is not None and newest[1].shape == (480, 640, 3)
        assert decoder.calls == 1  # the newest alone
    finally:
        hub.stop()


def test_corrupt_frames_found_when_taken_are_skipped_and_counted() -> None:
    dev = FakeV4l2(paced=True)
    decoder = CountingDecoder()
    cap = V4l2Capture(0, v4l2_os=dev, decode=decoder)
    dev.corrupt_next = 2  # the camera's first two frames are torn
    hub = FrameHub(cap)
    sub = hub.subscribe("pose", depth=64)  # keeps every frame: the test takes each in turn
    hub.start()
    try:
        _, image = sub.read(5.0)
        assert picture_number(image) == 2  # frames 0 and 1 skipped
        assert decoder.calls == 3 and cap.corrupt_ == 2 and cap.bad_ == 0
        assert hub.error_ is None
    finally:
        hub.stop()


def test_a_second_of_corrupt_frames_ends_the_hub_though_only_a_third_are_decoded() -> None:
    dev = FakeV4l2(paced=True)
    decoder = CountingDecoder()
    cap = V4l2Capture(0, v4l2_os=dev, decode=decoder)
    hub = FrameHub(cap)
    worker = CameraWorker(RateCap(hub.subscribe("pose"), 10.0), NoPose())
    hub.start()
    worker.start()
    try:
        _until(lambda: worker.frames_ >= 2, 10, "good frames first")
        seq0 = dev.sequence
        dev.corrupt_next = 10 * MAX_BAD_FRAMES  # then ten seconds of garbage
        _until(lambda: not hub.running, 5, "the hub to give up")
        worker.join(5)
    finally:
        worker.stop()
        hub.stop()
    assert isinstance(hub.error_, CameraError)
    assert "frames in a row did not decode" in str(hub.error_)
    bad_captured = dev.sequence - seq0
    # a second of garbage (30 frames), give or take the consumer's 0.1 s and a loaded
    # machine's delays; were only decoded frames counted, it would take three seconds
    assert MAX_BAD_FRAMES <= bad_captured <= MAX_BAD_FRAMES + 15
    assert cap.corrupt_ <= bad_captured // 2  # found by the ~10/s taken, not all of them
    assert not worker.running and worker.error_ is None  # the worker saw the end


def test_the_corrupt_run_counts_captured_frames_whoever_decoded_them() -> None:
    run = CorruptRun(max_frames=30, min_found=3)
    for seq in range(0, 30, 3):  # every third frame taken, all corrupt
        run.note(seq, FrameCorrupt("torn"))
    assert run.length == 28 and not run.too_long
    run.note(30, FrameCorrupt("torn"))
    assert run.length == 31 and run.too_long and run.corrupt_ == 11

    run = CorruptRun(max_frames=30, min_found=3)
    run.note(0, FrameCorrupt("torn"))
    run.note(90, FrameCorrupt("torn"))  # a slow consumer: 2 found, 3 s apart
    assert run.length == 91 and not run.too_long  # two torn frames are no stream of garbage
    run.note(50, None)  # a frame in between decoded fine (found later, by another thread)
    assert run.length == 1 and not run.too_long
    run.note(40, FrameCorrupt("torn"))  # before the good one: not part of the run
    assert run.length == 1 and run.corrupt_ == 3
    run.note(200, None)
    assert run.length == 0
