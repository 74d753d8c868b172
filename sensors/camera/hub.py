"""One camera capture, several consumers: the pose worker and a visit's video track.

::

    hub = FrameHub(open_live_camera("/dev/video0"))  # V4L2, else OpenCV
    worker = CameraWorker(hub.subscribe("pose"), MediaPipePose(video=True))
    call_frames = hub.subscribe("call")       # kiosk.adapters.call reads latest()
    hub.start(); worker.start()

One thread reads the source; each subscriber has its own bounded queue (``depth`` frames,
default 1): a slow consumer loses its oldest frames (counted in ``dropped_``) and never
holds back the others or the capture (latest frame wins). A subscriber is itself a
:class:`~sensors.camera.capture.FrameSource` (``read()`` blocks for the next frame, None
once the hub ended), so the pose worker runs on it unchanged; :meth:`Subscriber.latest`
takes the newest frame without waiting (a paced video track). Frames are shared, not
copied: consumers must not write into them. numpy only; the source does the I/O.
"""

from __future__ import annotations

import logging
import threading
from collections import deque

import numpy as np

from sensors.camera.capture import FrameSource
from sensors.camera.errors import CameraError

_LOG = logging.getLogger(__name__)
Frame = tuple[float, np.ndarray]  # capture time (s), image (H x W x 3, BGR)


class Subscriber:
    """One consumer's bounded queue of frames (a FrameSource)."""

    def __init__(self, hub: FrameHub, name: str, depth: int) -> None:
        if depth < 1:
            raise CameraError(f"subscriber {name!r}: depth must be at least 1")
        self.hub = hub
        self.name = name
        self.fps = hub.fps
        self._queue: deque[Frame] = deque(maxlen=depth)
        self._newest: Frame | None = None
        self._cond = threading.Condition()
        self._closed = False
        self.received_ = 0  # frames offered to this consumer
        self.dropped_ = 0  # overwritten before it read them

    def _put(self, frame: Frame) -> None:
        with self._cond:
            if len(self._queue) == self._queue.maxlen:
                self.dropped_ += 1
            self._queue.append(frame)
            self._newest = frame
            self.received_ += 1
            self._cond.notify_all()

    def _end(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def read(self, timeout_s: float | None = None) -> Frame | None:
        """The oldest queued frame, waiting for one; None once the hub ended (or timeout)."""
        with self._cond:
            while not self._queue and not self._closed:
                if not self._cond.wait(timeout_s):
                    return None
            return self._queue.popleft() if self._queue else None

    def latest(self) -> Frame | None:
        """The newest frame seen (queue emptied), without waiting; None before the first."""
        with self._cond:
            self._queue.clear()
            return self._newest

    def close(self) -> None:
        """Stop receiving (the hub and the other consumers go on)."""
        self.hub.unsubscribe(self)
        self._end()


class FrameHub:
    """Reads ``source`` on one thread and fans each frame out to every subscriber."""

    def __init__(self, source: FrameSource) -> None:
        self.source = source
        self.fps = float(getattr(source, "fps", 0.0) or 0.0)
        self._subs: list[Subscriber] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.frames_ = 0
        self.error_: BaseException | None = None

    def subscribe(self, name: str, depth: int = 1) -> Subscriber:
        sub = Subscriber(self, name, depth)
        with self._lock:
            self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    @property
    def subscribers(self) -> list[str]:
        with self._lock:
            return [s.name for s in self._subs]

    def start(self) -> FrameHub:
        if self._thread is not None:
            raise CameraError("frame hub already started")
        self._thread = threading.Thread(target=self._run, name="camera-hub", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        self.source.close()
        self._end_all()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                got = self.source.read()
                if got is None:
                    break
                self.frames_ += 1
                with self._lock:
                    subs = list(self._subs)
                for sub in subs:
                    sub._put(got)
        except Exception as exc:  # noqa: BLE001 - supervised boundary: logged, kept for the owner
            _LOG.error("camera hub stopped: %s", exc)
            self.error_ = exc
        finally:
            self._end_all()

    def _end_all(self) -> None:
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            sub._end()
