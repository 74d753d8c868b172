"""The movement's main axis, found from the data (never a hard-coded sensor axis).

A hinge-like exercise turns the segment about one axis fixed in the segment, hence fixed
in the sensor frame whatever the mounting. That axis is the principal direction of the
angular velocity. Rotation about the vertical carries no tilt and cannot be told from
heading drift, so the vertical part of each gyro sample (along the fused up vector) is
removed first. The estimate locks once the segment has turned ``lock_deg`` about a
dominant axis and then stays fixed, so the angle's zero never jumps mid-set.
"""

from __future__ import annotations

import numpy as np

DEG_PER_RAD = 57.29577951308232


class AxisEstimator:
    """Accumulates the angular-velocity covariance until the main axis is clear."""

    def __init__(
        self,
        rate_hz: float,
        *,
        lock_deg: float = 15.0,
        min_dominance: float = 0.6,
        prior_axis: np.ndarray | None = None,
        prior_weight: float = 0.0,
    ) -> None:
        self.dt_s = 1.0 / float(rate_hz)
        self.lock_rad = lock_deg / DEG_PER_RAD
        self.min_dominance = min_dominance
        self.prior_axis = None if prior_axis is None else np.asarray(prior_axis, float)
        self._cov = np.zeros((3, 3))
        if self.prior_axis is not None and prior_weight > 0:
            p = self.prior_axis / np.linalg.norm(self.prior_axis)
            self._cov += prior_weight * np.outer(p, p)
        self.turned_rad_ = 0.0
        self.axis_: np.ndarray | None = None
        self.dominance_ = 0.0

    def add(self, gyro_rad_s: np.ndarray, up: np.ndarray) -> None:
        """Accumulate samples (gyro bias-corrected, ``up`` = fused up vector per sample)."""
        w_h = gyro_rad_s - np.sum(gyro_rad_s * up, axis=1)[:, None] * up
        self._cov += w_h.T @ w_h * self.dt_s
        self.turned_rad_ += float(np.sum(np.linalg.norm(w_h, axis=1))) * self.dt_s

    def current(self) -> tuple[np.ndarray, float]:
        """Principal axis now and its dominance (share of the covariance it holds)."""
        return _principal(self._cov, self.prior_axis)

    def add_until_lock(self, gyro_rad_s: np.ndarray, up: np.ndarray) -> int | None:
        """Accumulate until the axis locks; return the index of the sample it locked on.

        The lock happens at the exact sample where the turned angle crosses ``lock_deg``
        (dominant axis) or twice that (any axis), whatever the chunking; samples after it
        are not added (a locked axis is fixed).
        """
        if self.axis_ is not None:
            return None
        w_h = gyro_rad_s - np.sum(gyro_rad_s * up, axis=1)[:, None] * up
        turned = self.turned_rad_ + np.cumsum(np.linalg.norm(w_h, axis=1)) * self.dt_s
        for limit, need_dominance in ((self.lock_rad, True), (2 * self.lock_rad, False)):
            if self.turned_rad_ >= limit:
                continue
            hit = np.flatnonzero(turned >= limit)
            if hit.size == 0:
                break
            i = int(hit[0])
            cov = self._cov + w_h[: i + 1].T @ w_h[: i + 1] * self.dt_s
            axis, dom = _principal(cov, self.prior_axis)
            if need_dominance and dom < self.min_dominance:
                continue
            self._cov, self.turned_rad_ = cov, float(turned[i])
            self.axis_, self.dominance_ = axis, dom
            return i
        self._cov += w_h.T @ w_h * self.dt_s
        self.turned_rad_ = float(turned[-1]) if turned.size else self.turned_rad_
        return None


def _principal(cov: np.ndarray, prior: np.ndarray | None) -> tuple[np.ndarray, float]:
    vals, vecs = np.linalg.eigh(cov)
    axis = vecs[:, -1]
    if prior is not None and float(axis @ prior) < 0:
        axis = -axis
    total = float(vals.sum())
    return axis, (float(vals[-1]) / total if total > 0 else 0.0)
