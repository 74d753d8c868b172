"""The angle reps are counted on.

One IMU (:class:`SegmentAngle`): the segment's rotation from its rest pose about the
movement's main axis. It is measured on the fused up vector: a rotation by θ about an
axis turns the up vector's projection on the plane normal to that axis by exactly θ,
whatever the axis' tilt, so the angle is drift-free and needs no heading. Only an axis
within ``VERTICAL_AXIS_DEG`` of vertical (turning in a horizontal plane, no tilt to see)
falls back to the bias-corrected gyro integrated about the axis.

Two IMUs (:class:`JointAngle`): the joint's flexion, i.e. the distal segment's rotation
relative to the proximal one about the joint axis. Gravity is the same physical vector
in both sensor frames, so the difference of the two in-plane angles of the up vector,
each about the joint axis as seen in that sensor, is exactly the relative rotation about
the joint axis — however the proximal segment moves (no still period, no heading, no
magnetometer needed). The joint axis is found in each sensor from its data; its sign
in the two sensors is matched by the wearing rule (both sensors on the same side of the
limb, face out: the axis points along each sensor's +z within ±60°).

Both hold their output back until the axis is found (within the first rep's rise), then
release the held samples computed with that axis: causal, and no jump in the angle.
The polarity is chosen so that the first movement away from rest is positive.
"""

from __future__ import annotations

import numpy as np

from motion.axis import AxisEstimator
from motion.vectors import signed_angle_about, unsigned_angle

DEG_PER_RAD = 57.29577951308232
VERTICAL_AXIS_DEG = 25.0
MAX_HELD_S = 20.0
SENSOR_FACE_AXIS = np.array([0.0, 0.0, 1.0])


class _Unwrap:
    """Keeps an angle stream continuous across ±180° and across chunks (radians in)."""

    def __init__(self) -> None:
        self._last: float | None = None

    def __call__(self, rad: np.ndarray) -> np.ndarray:
        if rad.shape[0] == 0:
            return rad
        prev = rad[0] if self._last is None else self._last
        out = np.unwrap(np.concatenate(([prev], rad)))[1:]
        self._last = float(out[-1])
        return out


class _Held:
    """Samples waiting for the axis, as lists of arrays (released in order)."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []
        self.n = 0

    def push(self, *arrays: np.ndarray) -> None:
        self.parts.append(arrays)
        self.n += arrays[0].shape[0]

    def pop_all(self) -> tuple[np.ndarray, ...]:
        cols = list(zip(*self.parts))
        self.parts, self.n = [], 0
        return tuple(np.concatenate(c) for c in cols)


class SegmentAngle:
    """One IMU: rotation of the segment about its main axis, degrees, streamed.

    ``process`` returns (t_s, angle_deg) for the samples whose angle is known now; until
    the axis locks this is empty (at most ``MAX_HELD_S`` are held; older held samples are
    released with the unsigned tilt angle, which is what a still sensor shows).
    """

    def __init__(self, rate_hz: float, *, lock_deg: float = 15.0) -> None:
        self.rate_hz = float(rate_hz)
        self.dt_s = 1.0 / self.rate_hz
        self.axis = AxisEstimator(rate_hz, lock_deg=lock_deg)
        self._held = _Held()
        self._v_ref: np.ndarray | None = None
        self._sign = 1.0
        self._use_gyro = False
        self._gyro_angle = 0.0
        self._unwrap = _Unwrap()
        self.locked_at_s_: float | None = None

    def process(self, t_s: np.ndarray, gyro_rad_s: np.ndarray, up: np.ndarray):
        if t_s.shape[0] == 0:
            return t_s, np.empty(0)
        if self._v_ref is None:
            self._v_ref = up[0].copy()
        if self.axis.axis_ is None:
            self.axis.add(gyro_rad_s, up)
            self._held.push(t_s, gyro_rad_s, up)
            if not self.axis.try_lock():
                return self._spill()
            self.locked_at_s_ = float(t_s[-1])
            t_s, gyro_rad_s, up = self._held.pop_all()
            self._choose_method(up)
            angle = self._angle(t_s, gyro_rad_s, up)
            if angle[-1] < 0:
                self._sign = -1.0
                self._gyro_angle = -self._gyro_angle
                angle = -angle
            return t_s, angle
        return t_s, self._angle(t_s, gyro_rad_s, up)

    def _spill(self):
        """Release held samples beyond MAX_HELD_S with the unsigned tilt (still sensor)."""
        if self._held.n * self.dt_s <= MAX_HELD_S:
            return np.empty(0), np.empty(0)
        t_s, _, up = self._held.pop_all()
        return t_s, unsigned_angle(up, self._v_ref) * DEG_PER_RAD

    def _choose_method(self, up: np.ndarray) -> None:
        a = self.axis.axis_
        tilt = float(np.degrees(np.arccos(min(1.0, abs(float(a @ self._v_ref))))))
        self._use_gyro = tilt < VERTICAL_AXIS_DEG

    def _angle(self, t_s, gyro_rad_s, up) -> np.ndarray:
        a = self.axis.axis_
        if not self._use_gyro:
            return self._sign * self._unwrap(signed_angle_about(up, self._v_ref, a)) * DEG_PER_RAD
        rate = self._sign * (gyro_rad_s @ a) * self.dt_s * DEG_PER_RAD
        out = self._gyro_angle + np.cumsum(rate)
        self._gyro_angle = float(out[-1])
        return out


class JointAngle:
    """Two IMUs: flexion of the joint between a proximal and a distal segment, degrees."""

    def __init__(self, rate_hz: float, *, lock_deg: float = 15.0, prior_weight_s: float = 0.5):
        self.rate_hz = float(rate_hz)
        self.dt_s = 1.0 / self.rate_hz
        # The prior (the wearing rule) weighs like ``prior_weight_s`` of turning at 1 rad/s:
        # it decides only when a segment barely turns, and fixes the axis' sign.
        self.axis_d = AxisEstimator(
            rate_hz, lock_deg=lock_deg, prior_axis=SENSOR_FACE_AXIS, prior_weight=prior_weight_s
        )
        self.axis_p = AxisEstimator(
            rate_hz, lock_deg=lock_deg, prior_axis=SENSOR_FACE_AXIS, prior_weight=prior_weight_s
        )
        self._held = _Held()
        self._vd_ref: np.ndarray | None = None
        self._vp_ref: np.ndarray | None = None
        self._sign = 1.0
        self._unwrap = _Unwrap()
        self.locked_at_s_: float | None = None

    def process(self, t_s, gyro_d, up_d, gyro_p, up_p):
        if t_s.shape[0] == 0:
            return t_s, np.empty(0)
        if self._vd_ref is None:
            self._vd_ref, self._vp_ref = up_d[0].copy(), up_p[0].copy()
        if self.axis_d.axis_ is None:
            self.axis_d.add(gyro_d, up_d)
            self.axis_p.add(gyro_p, up_p)
            self._held.push(t_s, up_d, up_p)
            if not self.axis_d.try_lock():
                if self._held.n * self.dt_s <= MAX_HELD_S:
                    return np.empty(0), np.empty(0)
                t_s, up_d, up_p = self._held.pop_all()
                return t_s, unsigned_angle(up_d, self._vd_ref) * DEG_PER_RAD
            self.axis_p.axis_, _ = self.axis_p.current()
            self.locked_at_s_ = float(t_s[-1])
            t_s, up_d, up_p = self._held.pop_all()
            angle = self._angle(up_d, up_p)
            if angle[-1] < 0:
                self._sign = -1.0
                angle = -angle
            return t_s, angle
        return t_s, self._angle(up_d, up_p)

    def _angle(self, up_d, up_p) -> np.ndarray:
        phi_d = signed_angle_about(up_d, self._vd_ref, self.axis_d.axis_)
        phi_p = signed_angle_about(up_p, self._vp_ref, self.axis_p.axis_)
        return self._sign * self._unwrap(phi_d - phi_p) * DEG_PER_RAD
