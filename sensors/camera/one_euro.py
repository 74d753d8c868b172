"""The One Euro filter (Casiez, Roussel, Vogel, CHI 2012): a causal, speed-adaptive low-pass.

Slow movement gets a low cut-off (less jitter), fast movement a higher one (less lag):
``cutoff = min_cutoff_hz + beta * |smoothed speed|``. State carries between calls, so a
stream cut into any pieces gives the same output. Non-finite input (a landmark hidden)
passes through as NaN; a hole longer than ``reset_after_s`` restarts the filter, so the
first value after an occlusion is not dragged towards the last one before it.
"""

from __future__ import annotations

import math

import numpy as np


def _alpha(cutoff_hz: float, dt_s: float) -> float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt_s)


class OneEuroFilter:
    def __init__(self, min_cutoff_hz: float = 1.0, beta: float = 0.02,
                 d_cutoff_hz: float = 1.0, reset_after_s: float = 0.5) -> None:
        if min_cutoff_hz <= 0 or d_cutoff_hz <= 0 or beta < 0:
            raise ValueError("cut-offs must be > 0 and beta >= 0")
        self.min_cutoff_hz = min_cutoff_hz
        self.beta = beta
        self.d_cutoff_hz = d_cutoff_hz
        self.reset_after_s = reset_after_s
        self._t: float | None = None
        self._x = 0.0
        self._dx = 0.0

    def reset(self) -> None:
        self._t = None

    def process(self, t_s: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Filter samples at times ``t_s`` (increasing); returns an array like ``x``."""
        t_s = np.asarray(t_s, float)
        x = np.asarray(x, float)
        out = np.full(x.shape, np.nan)
        for i in range(x.shape[0]):
            out[i] = self.step(float(t_s[i]), float(x[i]))
        return out

    def step(self, t_s: float, x: float) -> float:
        if not math.isfinite(x):
            if self._t is not None and t_s - self._t > self.reset_after_s:
                self._t = None
            return float("nan")
        if self._t is None or t_s - self._t > self.reset_after_s:
            self._t, self._x, self._dx = t_s, x, 0.0
            return x
        dt = t_s - self._t
        if dt <= 0:
            return self._x
        dx = (x - self._x) / dt
        self._dx += _alpha(self.d_cutoff_hz, dt) * (dx - self._dx)
        cutoff = self.min_cutoff_hz + self.beta * abs(self._dx)
        self._x += _alpha(cutoff, dt) * (x - self._x)
        self._t = t_s
        return self._x
