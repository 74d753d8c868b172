"""Two IMUs (:class:`JointAngle`): the joint's flexion, i.e. the distal segment's rotation
relative to the proximal one about the joint axis, degrees, streamed.

Gravity is the same physical vector in both sensor frames, so the difference of the two
in-plane angles of the up vector, each about the joint axis as seen in that sensor, is
exactly the relative rotation about the joint axis — however the proximal segment moves
(no still period, no heading, no magnetometer needed). The joint axis is found in each
sensor from its own gyro (:mod:`motion.axis`); how the two pair up (the same physical
direction, or one flipped) is read from the data (:mod:`motion.hinge`), so the sensors
may be worn any way round. The wearing rule (both sensors face out on the same side:
the axis along each sensor's +z) is only the first guess, used while the pairing makes
no difference to the angle.

Polarity and held samples as for one IMU (:mod:`motion.angle`): output waits until axes,
pairing (or proof it does not matter yet) and polarity are known, then the held samples
are released, computed with them.
"""

from __future__ import annotations

import numpy as np

from motion.angle import DEG_PER_RAD, MAX_HELD_S, POLARITY_WAIT_S, _HeldStream, _Unwrap
from motion.axis import AxisEstimator
from motion.hinge import AxisPairing, gravity_constrained_axis
from motion.vectors import signed_angle_about, unsigned_angle

# The wearing rule's guess at the joint axis in each sensor: face out, axis along +z.
SENSOR_FACE_AXIS = np.array([0.0, 0.0, 1.0])
# Longest wait for the pairing before releasing held samples with the wearing rule's guess.
PAIRING_WAIT_S = 16.0
# The pairing is moot while the proximal has turned less than this about its axis (the two
# candidate angles differ by twice the proximal's turn).
PAIRING_MOOT_DEG = 1.0


class JointAngle(_HeldStream):
    """Two IMUs: flexion of the joint between a proximal and a distal segment, degrees.

    After the axes lock they keep being refined from all the data seen: at whole seconds
    of the stream (so the result does not depend on chunking), when both sensors are
    still at rest (the angle in the lowest ``rest_frac`` of its range so far, so never
    between a rep's start and top), the axes (and their pairing, once the data decide it)
    move to the new estimate and an offset keeps the angle continuous. A proximal segment
    that has barely turned takes its axis from gravity (:func:`gravity_constrained_axis`).
    """

    def __init__(self, rate_hz: float, *, lock_deg: float = 15.0, prior_weight_s: float = 0.02,
                 lifts: bool | None = None, refine_every_s: float = 1.0,
                 still_rad_s: float = 0.1, min_change_deg: float = 0.2,
                 rest_frac: float = 0.15):
        super().__init__(rate_hz, lifts)
        # The prior (the wearing rule) weighs like ``prior_weight_s`` of turning at 1 rad/s:
        # it decides only when a segment barely turns, and gives each axis a first sign.
        self.axis_d = AxisEstimator(
            rate_hz, lock_deg=lock_deg, prior_axis=SENSOR_FACE_AXIS, prior_weight=prior_weight_s
        )
        self.axis_p = AxisEstimator(
            rate_hz, lock_deg=lock_deg, prior_axis=SENSOR_FACE_AXIS, prior_weight=prior_weight_s
        )
        self.pairing = AxisPairing(rate_hz)
        self._lock_rad = np.radians(lock_deg)
        self._vd_ref: np.ndarray | None = None
        self._vp_ref: np.ndarray | None = None
        self._jd: np.ndarray | None = None
        self._jp_ref: np.ndarray | None = None  # proximal axis before pairing
        self._pair = 1.0  # pairing in force: the proximal axis is pair * _jp_ref
        self._offset_rad = 0.0
        self._unwrap = _Unwrap()
        self._block_n = max(1, int(round(refine_every_s * rate_hz)))
        self._still_rad_s = still_rad_s
        self._min_change = np.radians(min_change_deg)
        self._rest_frac = rest_frac
        self._lo = np.inf
        self._hi = -np.inf
        self.refinements_ = 0

    @property
    def _jp(self) -> np.ndarray:
        assert self._jp_ref is not None
        return self._pair * self._jp_ref

    def process(self, t_s, gyro_d, up_d, accel_d, gyro_p, up_p):
        return self._process(t_s, (gyro_d, up_d, accel_d, gyro_p, up_p))

    def _undecided(self, t_s, cols, boundary):
        gyro_d, up_d, accel_d, gyro_p, up_p = cols
        if self._vd_ref is None:
            self._vd_ref, self._vp_ref = up_d[0].copy(), up_p[0].copy()
            self.polarity.rest_up = self._vd_ref
        self.polarity.lever.add(gyro_d, accel_d, up_d)
        self._held.push(t_s, up_d, up_p)
        if self._jd is None:
            i = self.axis_d.add_until_lock(gyro_d, up_d)
            if i is None:
                self.axis_p.add(gyro_p, up_p)
                if boundary and self._too_long(MAX_HELD_S):
                    t_h, ud_h, _ = self._held.pop()
                    return t_h, unsigned_angle(ud_h, self._vd_ref) * DEG_PER_RAD
                return None
            self.axis_p.add(gyro_p[: i + 1], up_p[: i + 1])
            self._jd = self.axis_d.axis_
            self._jp_ref = self._proximal_axis(self.axis_p.current()[0], up_d[i], up_p[i])
            self.axis_p.axis_ = self._jp_ref
            self.locked_at_s_ = float(t_s[i])
            rest = slice(i + 1, None)
            self.axis_d.add(gyro_d[rest], up_d[rest])
            self.axis_p.add(gyro_p[rest], up_p[rest])
            self.pairing.add(gyro_d[rest], gyro_p[rest], self._jd, self._jp_ref)
        else:
            self.axis_d.add(gyro_d, up_d)
            self.axis_p.add(gyro_p, up_p)
            self.pairing.add(gyro_d, gyro_p, self._jd, self._jp_ref)
        if not boundary:
            return None
        self._refresh_axes(ud=up_d[-1], up=up_p[-1])
        self._pair = self.pairing.sign_
        _, ud_h, up_h = self._held.peek()
        if not (self.pairing.decided_ or self._too_long(PAIRING_WAIT_S) or self._moot(up_h)):
            return None
        raw = np.unwrap(self._raw_rad(ud_h, up_h)) * DEG_PER_RAD
        if not self.polarity.decide(raw, ud_h, self._too_long(POLARITY_WAIT_S)):
            return None
        t_h, ud_h, up_h = self._held.pop()
        return t_h, self.polarity.sign * self._unwrap(self._raw_rad(ud_h, up_h)) * DEG_PER_RAD

    def _release_all(self):
        t_h, ud_h, up_h = self._held.peek()
        if self._jd is None:
            self._held.pop()
            return t_h, unsigned_angle(ud_h, self._vd_ref) * DEG_PER_RAD
        raw = np.unwrap(self._raw_rad(ud_h, up_h)) * DEG_PER_RAD
        self.polarity.decide(raw, ud_h, give_up=True)
        self._held.pop()
        return t_h, self.polarity.sign * self._unwrap(self._raw_rad(ud_h, up_h)) * DEG_PER_RAD

    def _moot(self, up_p) -> bool:
        """True while the pairing cannot change the held angle by ``PAIRING_MOOT_DEG``."""
        vp, jp = self._vp_ref, self._jp_ref
        assert vp is not None and jp is not None  # set with the first axes
        phi_p = signed_angle_about(up_p, vp, jp)
        return float(np.max(np.abs(phi_p))) * DEG_PER_RAD < PAIRING_MOOT_DEG

    def _decided(self, first_index, cols) -> np.ndarray:
        """Angles after the polarity is known, refining the axes at block boundaries."""
        gyro_d, up_d, _, gyro_p, up_p = cols
        jd, jp_ref = self._jd, self._jp_ref
        assert jd is not None and jp_ref is not None  # set with the first axes
        n = gyro_d.shape[0]
        out = np.empty(n)
        start = 0
        while start < n:
            to_boundary = self._block_n - (first_index + start) % self._block_n
            stop = min(n, start + to_boundary)
            sl = slice(start, stop)
            self.axis_d.add(gyro_d[sl], up_d[sl])
            self.axis_p.add(gyro_p[sl], up_p[sl])
            self.pairing.add(gyro_d[sl], gyro_p[sl], jd, jp_ref)
            out[sl] = self.polarity.sign * self._unwrap(self._raw_rad(up_d[sl], up_p[sl]))
            self._lo = min(self._lo, float(out[sl].min()))
            self._hi = max(self._hi, float(out[sl].max()))
            at_rest = out[stop - 1] <= self._lo + self._rest_frac * (self._hi - self._lo)
            if stop - start == to_boundary and at_rest:
                self._maybe_refine(gyro_d[stop - 1], gyro_p[stop - 1], up_d[stop - 1], up_p[stop - 1])
            start = stop
        return out * DEG_PER_RAD

    def _proximal_axis(self, j_p: np.ndarray, ud: np.ndarray, up: np.ndarray) -> np.ndarray:
        """The proximal gyro axis, or its gravity-constrained version if it barely turned."""
        if self.axis_p.turned_rad_ >= 2 * self._lock_rad:
            return j_p
        assert self._jd is not None
        return gravity_constrained_axis(j_p, up, float(ud @ self._jd))

    def _new_axes(self, ud: np.ndarray, up: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Current axis estimates, signed like the axes in force."""
        assert self._jd is not None and self._jp_ref is not None
        new_d, _ = self.axis_d.current()
        new_d = new_d if float(new_d @ self._jd) >= 0 else -new_d
        new_p = self._proximal_axis(self.axis_p.current()[0], ud, up)
        new_p = new_p if float(new_p @ self._jp_ref) >= 0 else -new_p
        return new_d, new_p

    def _refresh_axes(self, ud: np.ndarray, up: np.ndarray) -> None:
        """While nothing is released yet, the axes follow the estimates freely."""
        self._jd, self._jp_ref = self._new_axes(ud, up)

    def _maybe_refine(self, gd, gp, ud, up) -> None:
        if max(float(np.linalg.norm(gd)), float(np.linalg.norm(gp))) > self._still_rad_s:
            return
        assert self._jd is not None and self._jp_ref is not None
        new_d, new_p = self._new_axes(ud, up)
        pair = self.pairing.sign_
        change = max(np.arccos(min(1.0, float(new_d @ self._jd))),
                     np.arccos(min(1.0, float(new_p @ self._jp_ref))))
        if change < self._min_change and pair == self._pair:
            return
        before = self._raw_rad(ud[None, :], up[None, :])[0]
        self._jd, self._jp_ref, self._pair = new_d, new_p, pair
        after = self._raw_rad(ud[None, :], up[None, :])[0]
        self._offset_rad += float(np.angle(np.exp(1j * (before - after))))
        self.refinements_ += 1

    def _raw_rad(self, up_d, up_p) -> np.ndarray:
        vd, jd, vp, jp = self._vd_ref, self._jd, self._vp_ref, self._jp
        assert vd is not None and jd is not None and vp is not None and jp is not None
        phi_d = signed_angle_about(up_d, vd, jd)
        phi_p = signed_angle_about(up_p, vp, jp)
        return phi_d - phi_p + self._offset_rad
