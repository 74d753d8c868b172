"""A person at rest as a wristband sees them: sway, and now and then a move (numpy only).

Between sets nobody stands like a statue. Over a quiet postural sway (±``sway_deg``, below
0.5 Hz) come isolated moves at irregular times (gaps of ``gap_s`` on average, never under
1.5 s): a shift of weight that leaves the wrist in a new pose, a lift of the arm out and
back (to look at the watch, to scratch, to wave), a short scratch (a few quick small
wiggles), each of its own size, speed and direction. None of it is an exercise: the
motion core must count nothing in :func:`fidgeting_rest` (issue 11: "stillness and small
shifts never count"), and exactly the set in :func:`rest_then_set`.
"""

from __future__ import annotations

import numpy as np

from sensors.sim import SimConfig, simulate
from sensors.sim.rest import sway_rotvec, wearable
from sensors.sim.rotations import exp_so3
from sensors.types import ImuChunk

MOVES = ("shift", "lift", "scratch")
MOVE_P = (0.4, 0.4, 0.2)


def _unit(rng: np.random.Generator) -> np.ndarray:
    v = rng.normal(size=3)
    return v / np.linalg.norm(v)


def _smooth(u: np.ndarray) -> np.ndarray:
    """Minimum-jerk 0 -> 1 over u in [0, 1] (0 before, 1 after)."""
    u = np.clip(u, 0.0, 1.0)
    return u**3 * (10 - 15 * u + 6 * u**2)


def _move(rng: np.random.Generator, t: np.ndarray, t0: float, kind: str
          ) -> tuple[np.ndarray, float]:
    """One move starting at ``t0``: its (n, 3) rotation vector and when it is over."""
    axis = _unit(rng)
    if kind == "shift":  # a new pose, kept
        size, dur = rng.uniform(4.0, 20.0), rng.uniform(0.5, 1.5)
        prof = _smooth((t - t0) / dur)
        end = t0 + dur
    elif kind == "lift":  # out, a while there, back (not always all the way)
        size = float(np.exp(rng.uniform(np.log(8.0), np.log(80.0))))
        up, stay, down = rng.uniform(0.4, 1.5), rng.uniform(0.0, 5.0), rng.uniform(0.4, 1.5)
        back = rng.uniform(0.8, 1.0)
        prof = (_smooth((t - t0) / up)
                - back * _smooth((t - t0 - up - stay) / down))
        end = t0 + up + stay + down
    else:  # scratch: a few quick small wiggles
        size, f, dur = rng.uniform(2.0, 6.0), rng.uniform(2.0, 4.0), rng.uniform(1.0, 3.0)
        inside = (t >= t0) & (t < t0 + dur)
        prof = np.where(inside, np.sin(2 * np.pi * f * (t - t0)) * np.sin(np.pi * (t - t0) / dur),
                        0.0)
        end = t0 + dur
    return np.radians(size) * prof[:, None] * axis[None, :], end


def rest_rotvec(rng: np.random.Generator, t: np.ndarray, *, sway_deg: float = 2.0,
                gap_s: float = 8.0) -> np.ndarray:
    """(n, 3) rotation vectors of a fidgeting rest over times ``t``."""
    rv = sway_rotvec(rng, t, sway_deg, max_hz=0.5)
    at = t[0] + rng.uniform(0.5, gap_s)
    while at < t[-1] - 1.0:
        part, end = _move(rng, t, at, str(rng.choice(MOVES, p=MOVE_P)))
        rv += part
        at = end + max(1.5, rng.exponential(gap_s))
    return rv


def fidgeting_rest(seed: int, *, rate_hz: float = 50.0, duration_s: float = 60.0,
                   sway_deg: float = 2.0, gap_s: float = 8.0) -> ImuChunk:
    """``duration_s`` of rest with moves (sensor frame, m/s² and rad/s). Count: 0."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, duration_s, 1.0 / rate_hz)
    return wearable(t, exp_so3(rest_rotvec(rng, t, sway_deg=sway_deg, gap_s=gap_s)), rng)


def _tilt_to(acc: np.ndarray) -> np.ndarray:
    """A sensor -> world rotation whose gravity reads along ``acc`` (heading arbitrary)."""
    z = np.array([0.0, 0.0, 1.0])
    g = acc / np.linalg.norm(acc)  # world up, in the sensor frame
    v = np.cross(g, z)
    s, c = float(np.linalg.norm(v)), float(g @ z)
    if s < 1e-9:
        return np.eye(3) if c > 0 else np.diag([1.0, -1.0, -1.0])
    return exp_so3((np.arctan2(s, c) * v / s)[None, :])[0]


def rest_then_set(seed: int, exercise_id: str, reps: int, *, rate_hz: float = 50.0,
                  rest_s: tuple[float, float] = (10.0, 40.0)) -> ImuChunk:
    """A fidgeting rest of random length in ``rest_s``, then a simulated set of ``reps``
    (random mounting) from where the rest left the wrist. Count: exactly ``reps``.

    The rest ends in the set's start pose: its moves fade out over the last 2 s (the
    patient gets into position) and it reads the set's own gyro bias.
    """
    rng = np.random.default_rng(seed)
    cfg = SimConfig(exercise_id=exercise_id, reps=reps, rate_hz=rate_hz, seed=seed,
                    initial_still_s=1.0, mounting="random")
    s = simulate(cfg).distal
    still = s.t_s < s.t_s[0] + 0.8
    dur = rng.uniform(*rest_s)
    t = np.arange(0.0, dur, 1.0 / rate_hz)
    fade = 1.0 - _smooth((t - (dur - 3.0)) / 2.0)
    rv = rest_rotvec(rng, t) * fade[:, None]
    rest = _rest_in_pose(s, still, t, rv, rng)
    shift = dur - s.t_s[0]
    return ImuChunk.concat([rest, ImuChunk(s.t_s + shift, s.accel_m_s2, s.gyro_rad_s)])


def set_then_rest(seed: int, exercise_id: str, reps: int, *, rate_hz: float = 50.0,
                  rest_s: float = 40.0, sway_deg: float | None = None) -> ImuChunk:
    """A simulated set of ``reps`` (random mounting), then ``rest_s`` of fidgeting rest
    from the pose the set ended in (its moves fade in over the first 2 s, with the set's
    gyro bias): what a stream holds when the patient stays in view after the last rep.
    With ``sway_deg`` the rest is standing sway of that amplitude only (up to 1 Hz, as
    :func:`sensors.sim.rest.standing_sway`), no moves. Count: exactly ``reps``."""
    rng = np.random.default_rng(seed)
    cfg = SimConfig(exercise_id=exercise_id, reps=reps, rate_hz=rate_hz, seed=seed,
                    final_still_s=1.0, mounting="random")
    s = simulate(cfg).distal
    still = s.t_s > s.t_s[-1] - 0.8
    t = np.arange(0.0, rest_s, 1.0 / rate_hz)
    rv = (rest_rotvec(rng, t) if sway_deg is None
          else sway_rotvec(rng, t, sway_deg, max_hz=1.0)) * _smooth(t / 2.0)[:, None]
    rest = _rest_in_pose(s, still, t, rv, rng)
    shift = s.t_s[-1] + 1.0 / rate_hz
    return ImuChunk.concat([ImuChunk(s.t_s, s.accel_m_s2, s.gyro_rad_s),
                            ImuChunk(rest.t_s + shift, rest.accel_m_s2, rest.gyro_rad_s)])


def _rest_in_pose(s: ImuChunk, still: np.ndarray, t: np.ndarray, rv: np.ndarray,
                  rng: np.random.Generator) -> ImuChunk:
    """A rest of rotations ``rv`` (times ``t``) about the pose the set ``s`` holds over
    ``still``, read with the set's own gyro bias there."""
    base = _tilt_to(s.accel_m_s2[still].mean(axis=0))
    return wearable(t, base[None] @ exp_so3(rv), rng,
                    gyro_bias_rad_s=s.gyro_rad_s[still].mean(axis=0))

