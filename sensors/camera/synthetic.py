"""A synthetic camera: moving colour bars at a fixed size and rate (tests, benches, demo).

A :class:`~sensors.camera.capture.FrameSource` like a real camera: ``read()`` paces itself
to ``fps`` with the injected clock and sleep (a live camera blocks until the next frame),
or returns at once with ``paced=False``. Each frame is BGR ``height x width x 3``; a bright
block moves one step per frame so a receiver can tell frames apart. ``noise`` (grey
levels, 0 none) adds sensor-like noise from a few fixed patterns, so a video encoder
works about as hard as on a real camera (benches).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


class SyntheticFrames:
    def __init__(self, width: int = 640, height: int = 480, fps: float = 15.0, *,
                 frames: int | None = None, paced: bool = True, noise: int = 0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.width, self.height, self.fps = width, height, float(fps)
        self.frames = frames
        self.paced = paced
        self._clock, self._sleep = clock, sleep
        x = np.linspace(0, 255, width, dtype=np.float32)
        self._base = np.zeros((height, width, 3), np.uint8)
        self._base[:, :, 0] = x.astype(np.uint8)  # blue ramp left to right
        self._base[:, :, 1] = np.linspace(0, 200, height, dtype=np.float32)[:, None].astype(
            np.uint8)  # green ramp top to bottom
        self._base[:, :, 2] = 90
        rng = np.random.default_rng(7)
        self._noise = [rng.integers(0, 2 * noise + 1, (height, width, 3), np.uint8)
                       for _ in range(5)] if noise > 0 else []
        self.n_ = 0
        self._t0: float | None = None
        self._closed = False

    def read(self) -> tuple[float, np.ndarray] | None:
        if self._closed or (self.frames is not None and self.n_ >= self.frames):
            return None
        now = self._clock()
        if self._t0 is None:
            self._t0 = now
        due = self._t0 + self.n_ / self.fps
        if self.paced and due > now:
            self._sleep(due - now)
        frame = self._base.copy()
        if self._noise:  # base levels stay within 0..255 - 2 * noise: no wrap-around
            frame //= 2
            frame += self._noise[self.n_ % len(self._noise)]
        side = max(8, self.height // 6)
        x = (self.n_ * 8) % max(1, self.width - side)
        frame[self.height // 2 - side // 2:self.height // 2 + side // 2, x:x + side] = 255
        t = self.n_ / self.fps
        self.n_ += 1
        return t, frame

    def close(self) -> None:
        self._closed = True
