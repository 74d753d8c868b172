"""Capture and pose inference off the UI thread.

A live camera: one thread grabs frames and keeps only the newest, another runs the pose
model on the newest frame it has not seen (frames arriving while the model is busy are
dropped and counted, so the preview and the angles stay current; a frame the source hands
out undecoded, as the frame hub does, is decoded by the inference thread when it takes it,
so dropped frames are never decoded). A video file: one thread reads and processes every
frame in order. Results go to ``on_result`` (called on the
worker thread: hand them to an asyncio loop with ``loop.call_soon_threadsafe`` or to Kivy
with ``Clock.schedule_once``) and to :meth:`latest` for a preview that polls.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sensors.camera.capture import FrameSource
from sensors.camera.errors import CameraError
from sensors.camera.landmarks import PoseFrame
from sensors.camera.lazy_frame import Taken, frame_reader, resolve
from sensors.camera.pose import PoseEstimator

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CameraResult:
    """One processed frame: the image, its landmarks (None: nobody found) and timings:
    ``pose_ms`` the model alone, ``total_ms`` from the start of the read to the landmarks."""

    t_s: float
    image_bgr: np.ndarray
    pose: PoseFrame | None
    pose_ms: float
    total_ms: float


class CameraWorker:
    """Runs ``source`` → ``estimator`` on background threads; owns both: :meth:`stop`
    closes them. Counters: ``frames_`` (processed), ``dropped_`` (grabbed but superseded),
    ``error_`` (what stopped it)."""

    def __init__(self, source: FrameSource, estimator: PoseEstimator, *,
                 on_result: Callable[[CameraResult], None] | None = None,
                 drop_frames: bool = True) -> None:
        self.source = source
        self.estimator = estimator
        self.on_result = on_result
        self.drop_frames = drop_frames
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._pending: tuple[Taken, float] | None = None  # frame, start of its read
        self._ended = False
        self._latest: CameraResult | None = None
        self._threads: list[threading.Thread] = []
        self.frames_ = 0
        self.dropped_ = 0
        self.error_: BaseException | None = None

    def start(self) -> None:
        if self._threads:
            raise CameraError("worker already started")
        targets = [self._grab, self._infer] if self.drop_frames else [self._sequential]
        for fn in targets:
            th = threading.Thread(target=fn, name=f"camera-{fn.__name__.strip('_')}",
                                  daemon=True)
            self._threads.append(th)
            th.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """End the threads, close the source and then the estimator: MediaPipe's graph and
        models (~100 MB) go when the set ends, not when the last reference to the worker
        does (a second camera set would load its model beside them). An estimate still
        running after ``timeout_s`` keeps its estimator open (closing it under a running
        graph is not safe), logged."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        for th in self._threads:
            th.join(timeout_s)
        self.source.close()
        if self.running:
            _LOG.warning("camera worker still estimating %.1f s after stop: its pose model "
                         "stays open", timeout_s)
            return
        self.estimator.close()

    def join(self, timeout_s: float | None = None) -> None:
        """Wait until a file has been read to the end (or the worker stopped)."""
        for th in self._threads:
            th.join(timeout_s)

    @property
    def running(self) -> bool:
        return any(th.is_alive() for th in self._threads)

    def latest(self) -> CameraResult | None:
        return self._latest

    def _process(self, t_s: float, image: np.ndarray, t_read: float) -> None:
        t0 = time.perf_counter()
        pose = self.estimator.estimate(image, t_s)
        t1 = time.perf_counter()
        result = CameraResult(t_s, image, pose, (t1 - t0) * 1e3, (t1 - t_read) * 1e3)
        self._latest = result
        self.frames_ += 1
        if self.on_result is not None:
            self.on_result(result)

    def _sequential(self) -> None:
        try:
            while not self._stop.is_set():
                t_read = time.perf_counter()
                got = self.source.read()
                if got is None:
                    break
                self._process(got[0], got[1], t_read)
        except Exception as exc:  # noqa: BLE001 - supervised boundary: logged, kept for the owner
            self._fail(exc)

    def _grab(self) -> None:
        read = frame_reader(self.source)  # undecoded if the source can: _infer decodes
        try:
            while not self._stop.is_set():
                t_read = time.perf_counter()
                got = read()
                with self._cond:
                    if got is None:
                        self._ended = True
                        self._cond.notify_all()
                        return
                    if self._pending is not None:
                        self.dropped_ += 1
                    self._pending = (got, t_read)
                    self._cond.notify_all()
        except Exception as exc:  # noqa: BLE001 - supervised boundary: logged, kept for the owner
            self._fail(exc)

    def _infer(self) -> None:
        try:
            while True:
                with self._cond:
                    while self._pending is None and not self._ended and not self._stop.is_set():
                        self._cond.wait(0.5)
                    if self._stop.is_set() or (self._pending is None and self._ended):
                        return
                    item, self._pending = self._pending, None
                assert item is not None
                frame = resolve(item[0])
                if frame is not None:  # else corrupt: skipped (the capture counts it)
                    self._process(frame[0], frame[1], item[1])
        except Exception as exc:  # noqa: BLE001 - supervised boundary: logged, kept for the owner
            self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        _LOG.error("camera worker stopped: %s", exc)
        self.error_ = exc
        self._stop.set()
        with self._cond:
            self._ended = True
            self._cond.notify_all()
