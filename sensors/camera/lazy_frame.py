"""A camera frame decoded when someone takes it, not when it is captured (issue 15).

The live capture dequeues 30 frames a second, but its consumers take far fewer: the pose
worker 10 a second (``rate_cap``), a visit's video track the newest when it sends. Decoding
every frame (MJPG ~1-2 ms, YUYV ~3 ms here; a Pi 4 ~3x that) spent 10-30 % of a Pi's one
core on frames nobody looked at. So a capture that can (``V4l2Capture.read_frame``) hands
out ``(t_s, LazyFrame)``: the frame's bytes and its decoder. The first consumer to take it
decodes it, under the frame's own lock; any other consumer of the same frame waits for that
decode and shares its image (consumers never write into frames). A frame nobody takes is
never decoded.

A frame that turns out corrupt when decoded is skipped by whoever took it (``image()`` is
None) and reported to the capture's :class:`CorruptRun`, which keeps the rule "a second of
frames in a row that do not decode ends the stream" in captured frames, whichever of them
were decoded. Sources that hand out arrays (OpenCV, ArrayCapture, stand-ins) go through
the same paths unchanged: :func:`resolve` passes an array frame as it is.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from sensors.camera.frame_decode import FrameCorrupt

Frame = tuple[float, np.ndarray]  # capture time (s), BGR image
Report = Callable[[int, FrameCorrupt | None], None]  # (capture sequence, why it failed)
MAX_BAD_FRAMES = 30  # captured frames in a row (a second at 30 fps): the camera sends garbage
MIN_BAD_FOUND = 3  # and at least this many of them found corrupt: two torn frames seconds
# apart, with a slow consumer taking nothing in between, are no stream of garbage


class LazyFrame:
    """Frame ``seq`` of a capture, decoded by ``decode`` at the first :meth:`image` (once,
    thread-safe); the outcome goes to ``report``. The bytes go with the decoder once used."""

    __slots__ = ("seq", "_decode", "_report", "_lock", "_image", "_done")

    def __init__(self, seq: int, decode: Callable[[], np.ndarray], report: Report) -> None:
        self.seq = seq
        self._decode: Callable[[], np.ndarray] | None = decode
        self._report = report
        self._lock = threading.Lock()
        self._image: np.ndarray | None = None
        self._done = False

    @property
    def decoded(self) -> bool:
        return self._done

    def image(self) -> np.ndarray | None:
        """The BGR image (decoded now if nobody has yet); None: the frame is corrupt."""
        with self._lock:
            if not self._done:
                decode, self._decode = self._decode, None
                assert decode is not None
                failed: FrameCorrupt | None = None
                try:
                    self._image = decode()
                except FrameCorrupt as exc:
                    failed = exc
                self._done = True
                self._report(self.seq, failed)
            return self._image


Taken = tuple[float, "np.ndarray | LazyFrame"]  # what read_frame() hands out


def resolve(got: Taken) -> Frame | None:
    """``(t_s, image)`` of a frame taken from :func:`frame_reader`: an array frame as it
    is, a lazy one decoded (once, whoever asks); None if it is corrupt (skip it)."""
    t_s, payload = got
    if isinstance(payload, np.ndarray):
        return got  # type: ignore[return-value]
    image = payload.image()
    return None if image is None else (t_s, image)


def frame_reader(source: Any) -> Callable[[], Taken | None]:
    """The source's ``read_frame`` (frames left undecoded) if it has one, else its
    ``read`` (array frames)."""
    return getattr(source, "read_frame", None) or source.read


class CorruptRun:
    """Corrupt frames in a row, counted in captured frames (``seq``: the capture's count of
    dequeued frames) from the first found corrupt to the newest, with none found good in
    between, whoever decoded them and in whatever order. ``corrupt_``: all found."""

    def __init__(self, max_frames: int = MAX_BAD_FRAMES, min_found: int = MIN_BAD_FOUND) -> None:
        self.max_frames, self.min_found = max_frames, min_found
        self._lock = threading.Lock()
        self._good = -1  # the newest frame found good
        self._bad: list[int] = []  # sorted: frames found corrupt after it
        self.corrupt_ = 0
        self.last_error_: FrameCorrupt | None = None

    def note(self, seq: int, failed: FrameCorrupt | None) -> None:
        with self._lock:
            if failed is None:
                if seq > self._good:
                    self._good = seq
                    self._bad = [b for b in self._bad if b > seq]
                return
            self.corrupt_ += 1
            self.last_error_ = failed
            if seq > self._good:
                bisect.insort(self._bad, seq)

    @property
    def length(self) -> int:
        """Captured frames the current run spans (0: the newest frame found was good)."""
        with self._lock:
            return self._bad[-1] - self._bad[0] + 1 if self._bad else 0

    @property
    def too_long(self) -> bool:
        with self._lock:
            return bool(self._bad) and len(self._bad) >= self.min_found and \
                self._bad[-1] - self._bad[0] + 1 >= self.max_frames
