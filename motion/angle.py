"""The angle reps are counted on.

One IMU (:class:`SegmentAngle`): the segment's rotation from its rest pose about the
movement's main axis. It is measured on the fused up vector: a rotation by θ about an
axis turns the up vector's projection on the plane normal to that axis by exactly θ,
whatever the axis' tilt, so the angle is drift-free and needs no heading. Only an axis
within ``VERTICAL_AXIS_DEG`` of vertical (turning in a horizontal plane, no tilt to see)
falls back to the bias-corrected gyro integrated about the axis.

Two IMUs (:class:`JointAngle`, in :mod:`motion.joint`, re-exported here): the joint's
flexion, the distal segment's rotation relative to the proximal one about the joint axis.

Polarity: positive is the movement that lifts the segment against gravity (or lowers it,
for exercises marked ``lifts=False`` such as a forward trunk bend), read from where the
sensor sits relative to the centre of rotation (:mod:`motion.lever`). This holds whether
the recording starts at rest, mid-movement or after a posture change. The lever arm is
fitted first on the movement the axis locked on alone (``RepeatAxisLock.from_block_`` on):
fitted over a fidgeting rest before it too (turns about the wrist or the elbow, a shift of
weight), it had measured some sets upside down. If neither it nor the fit over everything
held is clear for ``POLARITY_WAIT_S``, the first large excursion is taken as positive.

Both hold their output back until axis and polarity are known (one IMU: once the movement
repeats, :mod:`motion.axis_lock`, so a move before the set does not set the axis), then
release the held samples computed with them: causal, no jump in the angle. One exception:
a one-IMU lock gives way when, before its own movement repeats, another movement repeats
about an axis far from it (with a ROM prescribed, one rep may lock it, and then any other
axis will do: axis_lock, "A reach gives way", "Any lock gives way"); the angle then jumps,
to the rotation about the new axis from the same rest pose.
"""

from __future__ import annotations

import numpy as np

from motion.axis_lock import RepeatAxisLock
from motion.lever import LeverArmEstimator, lift_direction
from motion.stats import steps
from motion.vectors import signed_angle_about, unsigned_angle

DEG_PER_RAD = 57.29577951308232
VERTICAL_AXIS_DEG = 25.0
MAX_HELD_S = 20.0  # two IMUs: longest wait for the axis before releasing samples unsigned
# One IMU: the longest wait for the movement to repeat, twice the lock's forget_s (the two
# pauses three strokes may have); then what the lock has forgotten is released unsigned.
REPEAT_HELD_S = 30.0
AXIS_WAIT_S = 10.0  # no two windows agreed by then: all the turning seen is the candidate axis
AXIS_FALLBACK_TURN_DEG = 30.0  # ... if there was that much of it
POLARITY_WAIT_S = 12.0  # longest wait for clear lift evidence before the fallback
# Not told whether the movement lifts the segment: it lowers it if the sensor sits more than
# this above its centre of rotation at rest. Measured rest elevations: lifting exercises
# -82..+14 deg (hanging, lying), lowering ones +54..+88 deg (trunk, standing thigh).
UPRIGHT_REST_DEG = 30.0


class _Unwrap:
    """Keeps an angle stream continuous across ±180° and across chunks (radians in)."""

    def __init__(self) -> None:
        self._last: float | None = None

    def __call__(self, rad: np.ndarray) -> np.ndarray:
        if rad.shape[0] == 0:
            return rad
        prev = rad[0] if self._last is None else self._last
        if np.abs(steps(rad, prev)).max() < np.pi:  # nothing to unwrap (np.unwrap would return it as is)
            out = rad
        else:
            out = np.unwrap(np.concatenate(([prev], rad)))[1:]
        self._last = float(out[-1])
        return out


def _about_vertical(axis: np.ndarray, up: np.ndarray) -> bool:
    """Whether ``axis`` lies within ``VERTICAL_AXIS_DEG`` of vertical over the samples
    ``up``: turning about the vertical, the up vector (in the sensor) stays on the axis
    while the segment moves, so the axis is compared with its mean."""
    mean_up = up.mean(axis=0)
    mean_up /= max(float(np.linalg.norm(mean_up)), 1e-9)
    tilt = np.degrees(np.arccos(min(1.0, abs(float(axis @ mean_up)))))
    return bool(tilt < VERTICAL_AXIS_DEG)


class _Held:
    """Samples waiting for axis and polarity, as lists of arrays (released in order)."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []
        self.n = 0

    def push(self, *arrays: np.ndarray) -> None:
        self.parts.append(arrays)
        self.n += arrays[0].shape[0]

    def peek(self) -> tuple[np.ndarray, ...]:
        cols = tuple(np.concatenate(c) for c in zip(*self.parts))
        self.parts = [cols]
        return cols

    def pop_front(self, k: int) -> tuple[np.ndarray, ...]:
        """Release the first ``k`` samples, keep the rest held."""
        cols = self.peek()
        self.parts = [tuple(c[k:] for c in cols)]
        self.n -= k
        return tuple(c[:k] for c in cols)

    def pop(self) -> tuple[np.ndarray, ...]:
        cols = self.peek()
        self.parts, self.n = [], 0
        return cols


class _Polarity:
    """Decides the sign of the angle once the axis is known (see module doc)."""

    def __init__(self, rate_hz: float, lifts: bool | None) -> None:
        self.lever = LeverArmEstimator(rate_hz)
        # None: not said (a recording replayed without its exercise); the rest pose says it
        self.lift_sign: int | None = None if lifts is None else (1 if lifts else -1)
        self.rest_up: np.ndarray | None = None  # the first sample's up vector (the trackers')
        self.sign: float | None = None
        self.how_ = ""

    def take_lift(self, raw_deg: np.ndarray, up: np.ndarray, lever: LeverArmEstimator,
                  how: str) -> bool:
        """The sign from ``lever``'s lift evidence over these samples, if it is clear."""
        d = lift_direction(raw_deg, up, lever)
        if d != 0:
            self.sign, self.how_ = float(d * self.lifting()), how
        return d != 0

    def decide(self, raw_deg: np.ndarray, up: np.ndarray, give_up: bool) -> bool:
        if not self.take_lift(raw_deg, up, self.lever, "lift") and give_up:
            k = int(np.argmax(np.abs(raw_deg)))
            self.sign, self.how_ = (1.0 if raw_deg[k] >= 0 else -1.0), "first-excursion"
        return self.sign is not None

    def lifting(self) -> int:
        """+1 if moving away from rest lifts the segment, -1 if it lowers it: as the set was
        told, else from the rest pose (the lever arm's elevation there, UPRIGHT_REST_DEG)."""
        if self.lift_sign is None:
            self.lift_sign = rest_lift_sign(self.lever.position_m(), self.rest_up)
        return self.lift_sign


def rest_lift_sign(r: np.ndarray, rest_up: np.ndarray | None) -> int:
    """-1 if the sensor sits more than ``UPRIGHT_REST_DEG`` above its centre of rotation in
    the rest pose (``r`` from the centre, ``rest_up`` in the sensor frame): a segment standing
    up from its pivot (a trunk over the hips, a thigh over the knee in a squat) is lowered by
    any turn away from rest. +1 otherwise: a hanging or lying segment is lifted."""
    norm = 0.0 if rest_up is None else float(np.linalg.norm(r) * np.linalg.norm(rest_up))
    if rest_up is None or norm <= 0.0:
        return 1
    elevation = np.degrees(np.arcsin(np.clip(float(r @ rest_up) / norm, -1.0, 1.0)))
    return -1 if elevation > UPRIGHT_REST_DEG else 1


class _HeldStream:
    """Streaming frame shared by both angle trackers.

    Until axis and polarity are known, samples are held. Decisions are taken only at
    whole ``CHECK_S`` steps counted from the first sample, and the axis locks on an exact
    sample, so the output does not depend on how the stream is chunked.
    """

    CHECK_S = 0.5

    def __init__(self, rate_hz: float, lifts: bool | None) -> None:
        self.rate_hz = float(rate_hz)
        self.dt_s = 1.0 / self.rate_hz
        self.polarity = _Polarity(rate_hz, lifts)
        self._held = _Held()
        self._seen = 0
        self._check_n = max(1, int(round(self.CHECK_S * rate_hz)))
        self.locked_at_s_: float | None = None

    def _to_block_end(self, n_left: int) -> int:
        """How many of the next ``n_left`` samples reach the end of the current block."""
        return min(n_left, self._check_n - self._seen % self._check_n)

    def _process(self, t_s: np.ndarray, cols: tuple[np.ndarray, ...]):
        n = t_s.shape[0]
        if n == 0:
            return t_s, np.empty(0)
        if self.polarity.sign is not None:
            out = self._decided(self._seen, cols)
            self._seen += n
            return t_s, out
        parts_t: list[np.ndarray] = []
        parts_a: list[np.ndarray] = []
        start = 0
        while start < n:
            stop = start + self._to_block_end(n - start)
            self._seen += stop - start
            got = self._undecided(t_s[start:stop], tuple(c[start:stop] for c in cols),
                                  self._seen % self._check_n == 0)
            if got is not None:
                parts_t.append(got[0])
                parts_a.append(got[1])
            start = stop
            if self.polarity.sign is not None and start < n:
                parts_t.append(t_s[start:])
                parts_a.append(self._decided(self._seen, tuple(c[start:] for c in cols)))
                self._seen += n - start
                break
        if not parts_t:
            return np.empty(0), np.empty(0)
        return np.concatenate(parts_t), np.concatenate(parts_a)

    def _too_long(self, limit_s: float) -> bool:
        return self._held.n * self.dt_s > limit_s

    def flush(self) -> tuple[np.ndarray, np.ndarray]:
        """End of the stream: nothing more will show the axis or the polarity, so the
        samples still held are released with what is known, as the waits' own limits
        release them (the unsigned tilt with no axis; the first excursion positive with no
        lift evidence). Without this the last reps of a set that never locked were lost."""
        if self._held.n == 0 or self.polarity.sign is not None:
            return np.empty(0), np.empty(0)
        return self._release_all()

    def _release_all(self) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _undecided(self, t_s, cols, boundary: bool):  # pragma: no cover - abstract
        raise NotImplementedError

    def _decided(self, first_index: int, cols) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


class SegmentAngle(_HeldStream):
    """One IMU: rotation of the segment about its main axis, degrees, streamed.

    ``process`` returns (t_s, angle_deg) for the samples whose angle is known now; until
    axis and polarity are known this is empty (if no movement repeats within
    ``REPEAT_HELD_S``, the held samples the lock has forgotten are released with the
    unsigned tilt angle, which is what a still sensor shows).
    """

    def __init__(self, rate_hz: float, *, lifts: bool | None = None,
                 target_rom_deg: float | None = None) -> None:
        super().__init__(rate_hz, lifts)
        # A prescribed ROM lets one rep's stroke out and back lock the axis (axis_lock).
        self.axis = RepeatAxisLock(rate_hz, block_s=self.CHECK_S, target_rom_deg=target_rom_deg)
        self._v_ref: np.ndarray | None = None
        self._use_gyro = False
        self._gyro_angle = 0.0
        self._gyro_sum = np.zeros(3)  # the gyro integrated over the samples put out, rad
        self._gyro_from_sum = False  # re-locked: the gyro angle restarts from _gyro_sum
        self._unwrap = _Unwrap()
        # Watching a lock not yet confirmed: the up vectors put out since (the last
        # REPEAT_HELD_S), so a re-lock can ask the lift evidence about its new axis.
        self._watched: list[np.ndarray] = []
        self._watched_n = 0

    def process(self, t_s, gyro_rad_s, up, accel_m_s2):
        cols = (gyro_rad_s, up, accel_m_s2)
        if self.polarity.sign is None or not self.axis.watching():
            return self._process(t_s, cols)
        # A lock taken on one reach may give way at a block's end (axis_lock): take the
        # chunk a block at a time, so what follows a re-lock is measured about the new axis.
        parts_t: list[np.ndarray] = []
        parts_a: list[np.ndarray] = []
        start, n = 0, t_s.shape[0]
        while start < n:
            if self.polarity.sign is None or not self.axis.watching():
                stop = n
            else:
                stop = start + self._to_block_end(n - start)
            got = self._process(t_s[start:stop], tuple(c[start:stop] for c in cols))
            parts_t.append(got[0])
            parts_a.append(got[1])
            start = stop
        return np.concatenate(parts_t), np.concatenate(parts_a)

    def _watch(self, cols, end_index: int) -> None:
        """Locked, not yet confirmed: feed the lock the samples just put out; at a block's
        end, if it gave way to a repeated movement, measure about the new axis from the next sample
        on: the same rest pose (``_v_ref``, or the gyro integrated from the same start), the
        way that lifts the segment positive when the lever arm tells it about the new axis
        (``lift-after-reach``), else the repeated strokes' way out (``repeat-after-reach``:
        wrong when the strokes began on a lowering)."""
        gyro, up, accel = cols
        self.axis.add(gyro, up)
        # a re-lock's sign comes from the lift evidence about its axis, when there is some
        self.polarity.lever.add(gyro, accel, up)
        self._watched.append(up)
        self._watched_n += up.shape[0]
        keep = int(REPEAT_HELD_S * self.rate_hz)
        while self._watched_n - self._watched[0].shape[0] >= keep:
            self._watched_n -= self._watched.pop(0).shape[0]
        if end_index % self._check_n:
            return
        before = self.axis.relocks_
        self.axis.close_block()
        if self.axis.relocks_ == before:
            return
        a = self.axis.axis_
        assert a is not None
        self._use_gyro = _about_vertical(a, up)
        self._unwrap = _Unwrap()
        self._gyro_from_sum = True
        # Which way lifts the segment about the new axis, if the lever arm tells (as it
        # decides a set's sign without a reach); else the repeated strokes' way out is
        # positive, as a reach's is (a set begins from rest).
        lifted = False
        if not self._use_gyro:
            assert self._v_ref is not None  # set with the first sample
            ups = np.concatenate(self._watched)
            raw = np.unwrap(signed_angle_about(ups, self._v_ref, a)) * DEG_PER_RAD
            lifted = self.polarity.take_lift(raw, ups, self.polarity.lever, "lift-after-reach")
        if not lifted:
            self.polarity.sign, self.polarity.how_ = self._excursion_sign(), "repeat-after-reach"

    def _excursion_sign(self) -> float:
        """The sign that makes the re-lock's way out positive (a rotation about the axis
        turns the up vector, seen from the sensor, the other way)."""
        turn = self.axis.excursion_rad_
        return float(np.sign(turn) if self._use_gyro else -np.sign(turn)) or 1.0

    def _undecided(self, t_s, cols, boundary):
        gyro, up, accel = cols
        if self._v_ref is None:
            self._v_ref = self.polarity.rest_up = up[0].copy()
        self.polarity.lever.add(gyro, accel, up)
        self._held.push(t_s, gyro, up, accel)
        if self.axis.axis_ is None:
            self.axis.add(gyro, up)
            if not boundary:
                return None
            if not self.axis.close_block() and not (
                    self._too_long(AXIS_WAIT_S)
                    and self.axis.turned_rad_ * DEG_PER_RAD >= AXIS_FALLBACK_TURN_DEG
                    and self.axis.take_all()):
                if not self._too_long(REPEAT_HELD_S):
                    return None
                # Held too long: release what no lock can be decided on any more (the
                # turning before the strokes the lock still weighs), as the unsigned tilt.
                first_held = self._seen - self._held.n
                k = self.axis.live_from_block_ * self._check_n - first_held
                if k <= 0:
                    return None
                t_h, _, up_h, _ = self._held.pop_front(k)
                return t_h, unsigned_angle(up_h, self._v_ref) * DEG_PER_RAD
            self.locked_at_s_ = float(t_s[-1])
            a = self.axis.axis_
            assert a is not None
            self._use_gyro = _about_vertical(a, self._held.peek()[2])
        if not boundary:
            return None
        _, g_h, up_h, acc_h = self._held.peek()
        # A rep of the prescribed size locked the axis (axis_lock, "reach"): its first
        # excursion is the movement, no need to wait for lift evidence.
        reach = self.axis.how_.startswith("reach")
        raw = self._raw(g_h, up_h)
        # The lift evidence of the movement that locked, on its own lever arm (not one
        # fitted over the rest's moves before it too), else of everything held.
        k = self.axis.from_block_ * self._check_n - (self._seen - self._held.n)
        k = min(max(k, 0), max(raw.shape[0] - 3, 0))
        lever = LeverArmEstimator(self.rate_hz)
        lever.add(g_h[k:], acc_h[k:], up_h[k:])
        give_up = self._too_long(POLARITY_WAIT_S) or reach
        if not (self.polarity.take_lift(raw[k:], up_h[k:], lever, "lift-of-lock")
                or self.polarity.decide(raw, up_h, give_up)):
            return None
        t_h, g_h, up_h, _ = self._held.pop()
        return t_h, self._decided(0, (g_h, up_h, None))

    def _release_all(self):
        t_h, g_h, up_h, _ = self._held.peek()
        if self.axis.axis_ is None:
            self._held.pop()
            return t_h, unsigned_angle(up_h, self._v_ref) * DEG_PER_RAD
        self.polarity.decide(self._raw(g_h, up_h), up_h, give_up=True)
        t_h, g_h, up_h, _ = self._held.pop()
        return t_h, self._decided(0, (g_h, up_h, None))

    def _raw(self, gyro_rad_s, up) -> np.ndarray:
        """Angle with the axis' arbitrary sign, from the first held sample (stateless)."""
        a, v = self.axis.axis_, self._v_ref
        assert a is not None and v is not None  # both are set when the axis locks
        if self._use_gyro:
            return np.cumsum(gyro_rad_s @ a) * self.dt_s * DEG_PER_RAD
        return np.unwrap(signed_angle_about(up, v, a)) * DEG_PER_RAD

    def _decided(self, first_index, cols) -> np.ndarray:
        gyro_rad_s, up = cols[0], cols[1]
        a, v, sign = self.axis.axis_, self._v_ref, self.polarity.sign
        assert a is not None and v is not None  # both are set when the axis locks
        if self._gyro_from_sum:  # re-locked: about the new axis, from the same start
            self._gyro_angle = float(sign * (self._gyro_sum @ a) * DEG_PER_RAD)
            self._gyro_from_sum = False
        if not self._use_gyro:
            out = sign * self._unwrap(signed_angle_about(up, v, a)) * DEG_PER_RAD
        else:
            rate = sign * (gyro_rad_s @ a) * self.dt_s * DEG_PER_RAD
            out = self._gyro_angle + np.cumsum(rate)
            self._gyro_angle = float(out[-1])
        self._gyro_sum = self._gyro_sum + gyro_rad_s.sum(axis=0) * self.dt_s
        if cols[2] is not None and self.axis.watching():
            # process() cut the chunk at blocks' ends: this one ends one, or inside one.
            self._watch(cols, first_index + gyro_rad_s.shape[0])
        return out


def __getattr__(name: str):
    """``JointAngle`` lives in :mod:`motion.joint` (built on this module's parts) and is
    re-exported here lazily, so either module may be imported first."""
    if name == "JointAngle":
        from motion.joint import JointAngle

        return JointAngle
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["JointAngle", "SegmentAngle"]  # noqa: F822 (JointAngle: the lazy __getattr__ above)
