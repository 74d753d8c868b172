"""A frame source passing at most ``max_fps`` frames a second (by their capture times).

Pose inference is the camera path's cost (~15-40 ms a frame on a fast x86-64 core, several
times that on a Pi 4): a pose worker on an uncapped 30 fps camera takes a whole core, which
a kiosk that has one for everything cannot give. Reps and ROM need far fewer frames (the
wearables' 100 Hz carries the timing when fused), so the kiosk's pose worker reads through
this cap. Frames in between are read and dropped, never queued, and never decoded when the
source hands them out undecoded (the frame hub's ``read_frame``).
"""

from __future__ import annotations

import math

import numpy as np

from sensors.camera.capture import FrameSource
from sensors.camera.lazy_frame import Taken, frame_reader, resolve

SLACK = 0.9  # a frame this fraction of the interval after the last one passes (camera jitter)


class RateCap:
    def __init__(self, source: FrameSource, max_fps: float) -> None:
        if max_fps <= 0:
            raise ValueError(f"max_fps must be > 0, got {max_fps}")
        self.source = source
        got = float(getattr(source, "fps", 0.0) or 0.0)
        self.fps = min(got, max_fps) if got > 0 else max_fps
        self._min_dt = SLACK / max_fps
        self._last = -math.inf
        self.dropped_ = 0

    def read(self) -> tuple[float, np.ndarray] | None:
        while (got := self.read_frame()) is not None:
            frame = resolve(got)  # a corrupt frame is skipped
            if frame is not None:
                return frame
        return None

    def read_frame(self) -> Taken | None:
        """As :meth:`read`, the frame still undecoded if the source's were."""
        read = frame_reader(self.source)
        while True:
            got = read()
            if got is None:
                return None
            if got[0] - self._last >= self._min_dt:
                self._last = got[0]
                return got
            self.dropped_ += 1

    def close(self) -> None:
        self.source.close()
