"""Where the sensor sits relative to the centre of rotation, from its own data — and so
which way of turning lifts it.

A rigid body turning with angular velocity ω and angular acceleration ω̇ accelerates a
point at ``r`` from the centre by ``ω̇ × r + ω × (ω × r)``. The accelerometer minus
gravity (the fused up vector times g) is that acceleration, so ``r`` (in the sensor
frame) follows by least squares, streamed as a 3×3 normal-equation sum. The height of
the sensor above the centre is then ``r · up``; its slope against the exercise angle
tells which direction lifts the segment against gravity.
"""

from __future__ import annotations

import numpy as np

from sensors.types import STANDARD_GRAVITY_M_S2


def _skew(w: np.ndarray) -> np.ndarray:
    """Cross-product matrices (n, 3, 3) of vectors (n, 3)."""
    z = np.zeros(w.shape[0])
    return np.stack(
        (
            np.stack((z, -w[:, 2], w[:, 1]), axis=1),
            np.stack((w[:, 2], z, -w[:, 0]), axis=1),
            np.stack((-w[:, 1], w[:, 0], z), axis=1),
        ),
        axis=1,
    )


class LeverArmEstimator:
    """Least-squares position of the sensor relative to the centre of rotation (m)."""

    def __init__(self, rate_hz: float) -> None:
        self.dt_s = 1.0 / float(rate_hz)
        self._ata = np.zeros((3, 3))
        self._atb = np.zeros(3)
        self._btb = 0.0
        self._n = 0
        self._prev_w: np.ndarray | None = None

    def add(self, gyro_rad_s: np.ndarray, accel_m_s2: np.ndarray, up: np.ndarray) -> None:
        if gyro_rad_s.shape[0] == 0:
            return
        prev = gyro_rad_s[0] if self._prev_w is None else self._prev_w
        wdot = np.diff(gyro_rad_s, axis=0, prepend=prev[None, :]) / self.dt_s
        self._prev_w = gyro_rad_s[-1].copy()
        sw = _skew(gyro_rad_s)
        k = _skew(wdot) + sw @ sw
        a_lin = accel_m_s2 - STANDARD_GRAVITY_M_S2 * up
        self._ata += np.einsum("nji,njk->ik", k, k)
        self._atb += np.einsum("nji,nj->i", k, a_lin)
        self._btb += float(np.sum(a_lin * a_lin))
        self._n += gyro_rad_s.shape[0]

    def position_m(self) -> np.ndarray:
        """Current estimate of the sensor's offset from the centre of rotation."""
        return np.linalg.solve(self._regularised(), self._atb)

    def _regularised(self) -> np.ndarray:
        reg = 1e-6 * max(float(np.trace(self._ata)), 1e-9)
        return self._ata + reg * np.eye(3)

    def covariance(self) -> np.ndarray:
        """Covariance of :meth:`position_m` from the fit's own residual (m²)."""
        r = self.position_m()
        rss = self._btb - 2.0 * float(r @ self._atb) + float(r @ self._ata @ r)
        dof = max(3 * self._n - 3, 1)
        return max(rss, 0.0) / dof * np.linalg.inv(self._regularised())


def lift_direction(angle_deg: np.ndarray, up: np.ndarray, lever: LeverArmEstimator,
                   *, min_rise_m: float = 0.02, z: float = 5.0) -> int:
    """+1 if the sensor rises as the angle grows, -1 if it sinks, 0 if not yet clear.

    The sensor's height is ``r · up``; its regression slope on the angle is ``r · w``
    with ``w = cov(angle, up) / var(angle)``. Clear means the slope is ``z`` standard
    errors from zero (the lever arm's own uncertainty) and the height changes by at least
    ``min_rise_m`` over the angle's range.
    """
    if angle_deg.shape[0] < 3:
        return 0
    a = angle_deg - angle_deg.mean()
    var = float(a @ a)
    if var <= 0.0:
        return 0
    w = (a @ (up - up.mean(axis=0))) / var
    r = lever.position_m()
    slope = float(r @ w)
    sd = float(np.sqrt(max(w @ lever.covariance() @ w, 0.0)))
    if abs(slope) * float(np.ptp(angle_deg)) < min_rise_m or abs(slope) < z * sd:
        return 0
    return 1 if slope > 0 else -1
