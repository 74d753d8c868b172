"""Gyroscope bias, estimated while the sensor is still.

MEMS gyros carry a bias of a few °/s that also drifts with temperature. imufusion has no
online bias state, and an uncorrected 1.5 °/s bias tilts its estimate by ~3° at gain 0.5,
so the bias is measured here. Still means: the gyro reads little and the same in two
consecutive windows, and the accelerometer's direction has not turned by more than
``max_turn_deg`` since the still run began (a limb swaying slowly reads little on the gyro
too, but its gravity direction moves). Whenever the sensor has been still for ``min_still_s``, the
bias becomes the mean gyro reading of the current still run (so each rest between reps
re-measures it and slow drift is followed). Between still runs the last value holds.

Streaming and chunk-invariant: the estimate applied to a sample depends only on the
samples before it, however the stream is cut into chunks.
"""

from __future__ import annotations

import numpy as np

from sensors.types import STANDARD_GRAVITY_M_S2

_NO_SUM = np.zeros(3)  # zeros shared by every estimator (read only: a new array replaces it)
_NO_SUM.flags.writeable = False


class GyroBiasEstimator:
    """Causal gyro-bias estimate from still periods.

    Parameters are fixed at construction; state carries between :meth:`process` calls.
    ``bias_rad_s_`` holds the latest estimate, ``still_runs_`` counts still periods used.
    """

    def __init__(
        self,
        rate_hz: float,
        *,
        min_still_s: float = 0.5,
        gyro_still_rad_s: float = 0.08,
        gyro_steady_rad_s: float = 0.015,
        steady_window_s: float = 0.2,
        accel_still_m_s2: float = 0.5,
        max_turn_deg: float = 0.5,
    ) -> None:
        self.rate_hz = float(rate_hz)
        self.min_still_n = max(3, int(round(min_still_s * rate_hz)))
        # Still: the gyro reads little (a bias is at most a few °/s) and reads the same in
        # two consecutive windows — a limb slowing down at the end of a movement reads
        # little too, but its reading is still changing.
        self.gyro_still_rad_s = gyro_still_rad_s
        self.gyro_steady_rad_s = gyro_steady_rad_s
        self.window_n = max(2, int(round(steady_window_s * rate_hz)))
        self.accel_still_m_s2 = accel_still_m_s2
        self._cos_turn = float(np.cos(np.radians(max_turn_deg)))
        self._run_ref = np.array([0.0, 0.0, 1.0])
        self.bias_rad_s_ = np.zeros(3)
        self.still_runs_ = 0
        self._run_n = 0
        self._run_sum = _NO_SUM
        self._tail = np.zeros((0, 6))  # last 2 windows of [gyro, accel]
        self.measuring_ = np.zeros(0, bool)  # per sample of the last chunk: bias being measured

    def process(self, gyro_rad_s: np.ndarray, accel_m_s2: np.ndarray) -> np.ndarray:
        """Bias to subtract from each row of ``gyro_rad_s``: shape (n, 3)."""
        n = gyro_rad_s.shape[0]
        out = np.empty((n, 3))
        self.measuring_ = np.zeros(n, bool)
        if n == 0:
            return out
        mean1, mean0, full = self._windows(np.concatenate((gyro_rad_s, accel_m_s2), axis=1))
        g1, acc_mean = mean1[:, :3], mean1[:, 3:]
        dg = g1 - mean0[:, :3]
        acc_norm = np.sqrt(np.einsum("ij,ij->i", accel_m_s2, accel_m_s2))
        still = (
            full
            & (np.einsum("ij,ij->i", g1, g1) < self.gyro_still_rad_s**2)
            & (np.einsum("ij,ij->i", dg, dg) < self.gyro_steady_rad_s**2)
            & (np.abs(acc_norm - STANDARD_GRAVITY_M_S2) < self.accel_still_m_s2)
        )
        if not still.any():
            self._end_run()
            out[:] = self.bias_rad_s_
            return out
        # Boundaries of still runs inside the chunk; the first run may continue the carry.
        edges = (still[1:] != still[:-1]).nonzero()[0] + 1
        bounds = [0, *edges.tolist(), n]
        # Accelerometer directions for the whole chunk at once (row by row, the same values
        # as run by run; an hour holds ~1,300 still runs).
        acc_dir = acc_mean / np.maximum(np.sqrt(np.einsum("ij,ij->i", acc_mean, acc_mean)),
                                        1e-9)[:, None]
        for a, b in zip(bounds[:-1], bounds[1:]):
            if not still[a]:
                self._end_run()
                out[a:b] = self.bias_rad_s_
                continue
            # A still sensor keeps its gravity direction: a run whose accelerometer turns by
            # more than ``max_turn`` since it began is slow motion, not stillness.
            while a < b:
                if self._run_n == 0:
                    self._run_ref = acc_dir[a].copy()
                turned = (acc_dir[a:b] @ self._run_ref < self._cos_turn).nonzero()[0]
                stop = a + int(turned[0]) if turned.size else b
                if stop > a:
                    self._extend_run(gyro_rad_s, out, a, stop)
                if stop < b:
                    self._end_run()
                a = stop
        return out

    def _windows(self, x: np.ndarray):
        """Means of the last ``window_n`` samples and of the ``window_n`` before, per sample."""
        L, n = self.window_n, x.shape[0]
        buf = np.concatenate((self._tail, x))
        m = buf.shape[0]
        csum = np.empty((m + 1, buf.shape[1]))
        csum[0] = 0.0
        np.cumsum(buf, axis=0, out=csum[1:])
        self._tail = buf[-2 * L :]
        if m - n >= 2 * L:  # the usual case: both windows are full for every sample
            c = csum[m - n + 1 :]
            c1 = csum[m - n + 1 - L : m + 1 - L]
            c0 = csum[m - n + 1 - 2 * L : m + 1 - 2 * L]
            return (c - c1) / L, (c1 - c0) / L, np.ones(n, bool)
        idx = np.arange(m - n, m) + 1  # window ends (exclusive) for this chunk's samples
        lo1, lo0 = np.maximum(idx - L, 0), np.maximum(idx - 2 * L, 0)
        mean1 = (csum[idx] - csum[lo1]) / np.maximum(idx - lo1, 1)[:, None]
        mean0 = (csum[lo1] - csum[lo0]) / np.maximum(lo1 - lo0, 1)[:, None]
        return mean1, mean0, (idx - lo0) == 2 * L

    def _end_run(self) -> None:
        if self._run_n >= self.min_still_n:
            self.still_runs_ += 1
        self._run_n = 0
        self._run_sum = _NO_SUM  # only ever read (_extend_run adds it to a fresh array)

    def _extend_run(self, gyro_rad_s: np.ndarray, out: np.ndarray, a: int, b: int) -> None:
        """Samples ``a:b`` continue the current still run; write their bias into ``out``."""
        m, n0 = b - a, self._run_n
        csum = gyro_rad_s[a:b].cumsum(axis=0)  # (the method: no wrapper; ~1,300 runs an hour)
        csum += self._run_sum
        means = csum / np.arange(n0 + 1, n0 + m + 1, dtype=float)[:, None]
        # Sample i is corrected with the estimate from the samples before it: the previous
        # estimate for the first one (when the run continues from the last chunk, it is
        # already this run's mean), then the run's mean once it holds ``min_still_n``.
        use_from = max(1, self.min_still_n - n0)
        out[a : a + min(use_from, m)] = self.bias_rad_s_
        if use_from < m:
            out[a + use_from : b] = means[use_from - 1 : m - 1]
        self.measuring_[a + max(0, self.min_still_n - n0 - 1) : b] = True
        if n0 + m >= self.min_still_n:
            self.bias_rad_s_ = means[-1].copy()
        self._run_n = n0 + m
        self._run_sum = csum[-1]


class TiltBiasObserver:
    """Bias of a sensor that is never still, seen through the fusion's own correction.

    imufusion pulls its estimate towards the accelerometer with a proportional gain, so a
    constant gyro bias ``b`` leaves a standing tilt error where ``gain * (up × accel_dir)``
    cancels the bias component perpendicular to gravity. Averaged over a block of samples
    while the sensor moves slowly (limb acceleration negligible), that term *is* the
    remaining bias; feeding a share of it back (an integral term the filter lacks) removes
    the tilt error of, e.g., a thigh that sways the whole set and never rests. The part of
    the bias along gravity cannot be seen this way and does not affect tilt.
    """

    def __init__(self, gain: float, *, share: float = 0.3, max_rate_rad_s: float = 0.3,
                 max_accel_dev_m_s2: float = 0.5, limit_rad_s: float = 0.1) -> None:
        self.gain = gain
        self.share = share
        self.max_rate_rad_s = max_rate_rad_s
        self.max_accel_dev_m_s2 = max_accel_dev_m_s2
        self.limit_rad_s = limit_rad_s
        self.correction_rad_s_ = _NO_SUM
        self.correcting_ = False  # correction_rad_s_ is not all zeros
        self.updates_ = 0
        self._quiet = True
        self._sum = _NO_SUM
        self._n = 0
        self._measured = False

    @property
    def listening(self) -> bool:
        """The current block is slow so far and not measured: its samples still count."""
        return self._quiet and not self._measured

    def add(self, gyro_rad_s: np.ndarray, accel_m_s2: np.ndarray, up: np.ndarray) -> None:
        """Accumulate samples of the current block (bias-corrected gyro, raw accel, fused up)."""
        if gyro_rad_s.shape[0] == 0 or not self._quiet:
            return
        rate2 = float(np.max(np.einsum("ij,ij->i", gyro_rad_s, gyro_rad_s)))
        norm = np.sqrt(np.einsum("ij,ij->i", accel_m_s2, accel_m_s2))
        dev = float(np.max(np.abs(norm - STANDARD_GRAVITY_M_S2)))
        if rate2 > self.max_rate_rad_s**2 or dev > self.max_accel_dev_m_s2:
            self._quiet = False
            return
        a = accel_m_s2 / norm[:, None]
        u = up
        cross = np.column_stack((u[:, 1] * a[:, 2] - u[:, 2] * a[:, 1],
                                 u[:, 2] * a[:, 0] - u[:, 0] * a[:, 2],
                                 u[:, 0] * a[:, 1] - u[:, 1] * a[:, 0]))
        self._sum = self._sum + cross.sum(axis=0)
        self._n += gyro_rad_s.shape[0]

    def mark_measured(self) -> None:
        """The still-period estimator measured the bias during this block."""
        self._measured = True

    def close_block(self) -> None:
        """End of a block: if it was slow throughout, feed a share of its residual back."""
        quiet, total, n = self._quiet, self._sum, self._n
        measured = self._measured
        self._quiet, self._sum, self._n, self._measured = True, _NO_SUM, 0, False
        if measured:
            self.correction_rad_s_, self.correcting_ = _NO_SUM, False
            return
        if not quiet or n == 0:
            return
        c = self.correction_rad_s_ + self.share * self.gain * total / n
        mag = float(np.linalg.norm(c))
        if mag > self.limit_rad_s:
            c *= self.limit_rad_s / mag
        self.correction_rad_s_, self.correcting_ = c, bool(c.any())
        self.updates_ += 1
