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

Frames travel undecoded when the source can hand them out so (``read_frame``: the V4L2
capture's :class:`~sensors.camera.lazy_frame.LazyFrame`): a frame is decoded when a
subscriber takes it (``read()``, ``latest()``), once, whichever subscriber comes first, and
a frame every subscriber lets go by is never decoded. A taken frame that turns out corrupt
is skipped (``read()`` goes on to the next; ``latest()`` keeps the last good one).
:meth:`Subscriber.read_frame` hands a frame on still undecoded (``RateCap`` and the pose
worker decode only the frames they keep).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

from sensors.camera.capture import FrameSource
from sensors.camera.errors import CameraError
from sensors.camera.lazy_frame import Frame, Taken, frame_reader, resolve

_LOG = logging.getLogger(__name__)


class Subscriber:
    """One consumer's bounded queue of frames (a FrameSource)."""

    def __init__(self, hub: FrameHub, name: str, depth: int) -> None:
        if depth < 1:
            raise CameraError(f"subscriber {name!r}: depth must be at least 1")
        self.hub = hub
        self.name = name
        self.fps = hub.fps
        self._queue: deque[Taken] = deque(maxlen=depth)
        self._newest: Taken | None = None
        self._shown: Frame | None = None  # what latest() last returned
        self._cond = threading.Condition()
        self._closed = False
        self.received_ = 0  # frames offered to this consumer
        self.dropped_ = 0  # overwritten before it read them

    def _put(self, frame: Taken) -> None:
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
        """The oldest queued frame, decoded, waiting for one (corrupt ones skipped); None
        once the hub ended (or timeout)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            got = self.read_frame(left)
            if got is None:
                return None
            frame = resolve(got)  # outside the queue's lock: the hub never waits for it
            if frame is not None:
                return frame

    def read_frame(self, timeout_s: float | None = None) -> Taken | None:
        """As :meth:`read`, the frame not decoded yet (:func:`~sensors.camera.lazy_frame.
        resolve` decodes it)."""
        with self._cond:
            while not self._queue and not self._closed:
                if not self._cond.wait(timeout_s):
                    return None
            return self._queue.popleft() if self._queue else None

    def latest(self) -> Frame | None:
        """The newest frame seen (queue emptied), decoded, without waiting for another;
        None before the first. A newest frame that is corrupt gives the last good one."""
        with self._cond:
            self._queue.clear()
            newest = self._newest
        if newest is None:
            return None
        # decoded here, once, however often asked (in the caller's thread: a visit's video
        # track and preview call this on the event loop)
        frame = resolve(newest)
        with self._cond:
            shown = self._shown  # a newer frame another thread took meanwhile stays
            if frame is not None and (shown is None or (
                    frame[1] is not shown[1] and frame[0] >= shown[0])):
                self._shown = frame
            return self._shown

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
        read = frame_reader(self.source)  # frames left undecoded if the source can
        try:
            while not self._stop.is_set():
                got = read()
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
