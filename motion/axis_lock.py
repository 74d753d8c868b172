"""When to trust the movement's main axis: once the movement has settled on it.

The first turning of a set is often not the exercise: a patient settles the leg, brings
the arm into the start position, twists the band. An axis locked on the first few
degrees of turning (wherever they come from) measures every later rep about the wrong
axis. So the axis locks only when two consecutive windows of movement agree on it:
the principal axis of the angular velocity over the last ``window_s`` and over the
``window_s`` before it are within ``agree_deg`` of each other, each window turned at
least ``min_turn_deg`` about a dominant axis. The axis is then the principal axis of
both windows together — the movement the patient repeats, not the set-up before it.

The decision is taken at whole blocks of ``block_s`` counted from the first sample
(the caller closes blocks), so it does not depend on how the stream is chunked.
The whole angular velocity counts, its vertical part included: an external rotation
with a band turns the forearm about the vertical, and that turning is the exercise (the
caller then integrates the gyro about the axis, as no tilt shows it).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import numpy as np

from motion.axis import _principal

DEG_PER_RAD = 57.29577951308232


def _total(covs: Iterable[np.ndarray]) -> np.ndarray:
    """The sum of 3x3 matrices, in order (as ``sum()`` would, typed)."""
    total = np.zeros((3, 3))
    for c in covs:
        total = total + c
    return total


class StableAxisLock:
    """Per-block angular-velocity covariance; locks when consecutive windows agree."""

    def __init__(self, rate_hz: float, *, block_s: float = 0.5, window_s: float = 2.0,
                 agree_deg: float = 15.0, min_turn_deg: float = 15.0,
                 min_dominance: float = 0.6) -> None:
        self.dt_s = 1.0 / float(rate_hz)
        self.blocks_per_window = max(1, int(round(window_s / block_s)))
        self.cos_agree = float(np.cos(np.radians(agree_deg)))
        self.min_turn_rad = min_turn_deg / DEG_PER_RAD
        self.min_dominance = min_dominance
        self._blocks: deque[tuple[np.ndarray, float]] = deque(maxlen=2 * self.blocks_per_window)
        self._cov = np.zeros((3, 3))
        self._turned = 0.0
        self._all_cov = np.zeros((3, 3))
        self.turned_rad_ = 0.0  # all the turning seen before the lock
        self.axis_: np.ndarray | None = None
        self.dominance_ = 0.0

    def add(self, gyro_rad_s: np.ndarray) -> None:
        """Accumulate samples of the open block (gyro bias-corrected)."""
        self._cov += gyro_rad_s.T @ gyro_rad_s * self.dt_s
        turned = float(np.sum(np.linalg.norm(gyro_rad_s, axis=1))) * self.dt_s
        self._turned += turned
        self.turned_rad_ += turned

    def close_block(self) -> bool:
        """End of a block: lock if the last two windows agree. True once locked."""
        if self.axis_ is not None:
            return True
        self._blocks.append((self._cov, self._turned))
        self._all_cov += self._cov
        self._cov, self._turned = np.zeros((3, 3)), 0.0
        k = self.blocks_per_window
        if len(self._blocks) < 2 * k:
            return False
        blocks = list(self._blocks)
        older, newer = blocks[:k], blocks[k:]
        cov_o, cov_n = _total(c for c, _ in older), _total(c for c, _ in newer)
        for cov, part in ((cov_o, older), (cov_n, newer)):
            if sum(t for _, t in part) < self.min_turn_rad:
                return False
            if _principal(cov, None)[1] < self.min_dominance:
                return False
        a_o, _ = _principal(cov_o, None)
        a_n, _ = _principal(cov_n, None)
        if abs(float(a_o @ a_n)) < self.cos_agree:
            return False
        self.axis_, self.dominance_ = _principal(cov_o + cov_n, None)
        return True

    def lock_on_all(self) -> np.ndarray:
        """No stable window came (the wait is over): lock on everything seen so far."""
        if self.axis_ is None:
            self.axis_, self.dominance_ = _principal(self._all_cov + self._cov, None)
        return self.axis_
