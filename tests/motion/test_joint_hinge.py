"""Two-IMU joint angle with sensors worn any way round (simulated hinge, ground truth)."""

from __future__ import annotations

import numpy as np
import pytest

from motion.hinge import AxisPairing, gravity_constrained_axis
from motion.joint import JointAngle
from motion.pipeline import _group, _Imu, align_pair
from sensors.sim import SimConfig, simulate
from sensors.sim.geometry import GEOMETRY
from therapy.catalogue import CATALOGUE

RATE = 25.0


def _streams(exercise: str, seed: int, **kw):
    """Bias-corrected gyro and fused up of both sensors, as the pipeline hands them over."""
    res = simulate(SimConfig(exercise_id=exercise, reps=4, rate_hz=RATE, seed=seed,
                             two_segment=True, mounting="random", **kw))
    d, p = align_pair(res.distal, res.proximal)
    d, p = _group(d, 1), _group(p, 1)
    gd, ud = _Imu(RATE).up(d)
    gp, up = _Imu(RATE).up(p)
    move = np.asarray(GEOMETRY[exercise].move_axis, float)
    truth_axes = (res.distal_mounting.T @ move, res.proximal_mounting.T @ move)
    truth = np.interp(d.t_s, res.truth.angle_t_s, res.truth.angle_deg)
    return (d.t_s, gd, ud, d.accel_m_s2, gp, up), truth_axes, truth


def _run(cols, chunk: int, exercise: str):
    ja = JointAngle(RATE, lifts=CATALOGUE[exercise].lifts)
    ts, out = [], []
    n = cols[0].shape[0]
    for s in range(0, n, chunk):
        t, a = ja.process(*(c[s : s + chunk] for c in cols))
        ts.append(t)
        out.append(a)
    return ja, np.concatenate(ts), np.concatenate(out)


def _deg(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(min(1.0, abs(float(a @ b)) / np.linalg.norm(b)))))


@pytest.mark.parametrize("exercise,seed", [("elbow_flexion", 1), ("elbow_flexion", 50),
                                           ("knee_extension_seated", 2),
                                           ("heel_slide", 3), ("shoulder_abduction_standing", 4)])
def test_random_mounting_finds_both_axes_their_pairing_and_the_angle(exercise, seed):
    cols, (jd_true, jp_true), truth = _streams(exercise, seed)
    ja, t, angle = _run(cols, 32, exercise)
    assert _deg(ja._jd, jd_true) < 4.0
    assert _deg(ja._jp, jp_true) < 6.0
    # Paired: both axes the same physical direction.
    assert np.sign(ja._jd @ jd_true) == np.sign(ja._jp @ jp_true)
    k = np.searchsorted(cols[0], t)
    rmse = float(np.sqrt(np.mean((angle - truth[k]) ** 2)))
    assert rmse < 2.5, rmse


def test_the_angle_does_not_depend_on_chunking():
    cols, _, _ = _streams("knee_extension_seated", 7)
    _, t1, a1 = _run(cols, 1, "knee_extension_seated")
    _, t2, a2 = _run(cols, 1000, "knee_extension_seated")
    # Same samples released, same angles (sums taken chunk by chunk round differently).
    np.testing.assert_array_equal(t1, t2)
    np.testing.assert_allclose(a1, a2, rtol=0, atol=1e-9)


def test_a_proximal_segment_that_barely_moves_takes_its_axis_from_gravity():
    cols, (jd_true, _), truth = _streams("knee_extension_seated", 5, proximal_coupling=0.0,
                                         proximal_sway_deg=0.0)
    ja, t, angle = _run(cols, 32, "knee_extension_seated")
    assert _deg(ja._jd, jd_true) < 4.0
    # The knee axis is horizontal: the proximal axis must be across gravity too.
    up_p = cols[5][-1]
    assert abs(float(ja._jp @ up_p)) < np.sin(np.radians(5.0))
    k = np.searchsorted(cols[0], t)
    assert float(np.sqrt(np.mean((angle - truth[k]) ** 2))) < 2.5


def test_gravity_constrained_axis_keeps_the_heading_and_sets_the_tilt():
    up = np.array([0.0, 0.0, 1.0])
    j = gravity_constrained_axis(np.array([1.0, 0.0, 1.0]) / np.sqrt(2.0), up, 0.0)
    np.testing.assert_allclose(j, [1.0, 0.0, 0.0], atol=1e-12)
    j = gravity_constrained_axis(np.array([0.0, 1.0, 0.0]), up, 0.5)
    np.testing.assert_allclose(j, [0.0, np.sqrt(0.75), 0.5], atol=1e-12)


@pytest.mark.parametrize("flip", [1.0, -1.0])
def test_pairing_reads_the_still_joint_while_the_proximal_sways(flip):
    rng = np.random.default_rng(0)
    t = np.arange(0, 20, 1 / RATE)
    sway = 0.15 * np.sin(2 * np.pi * 0.3 * t)  # proximal about the axis, rad/s
    joint = np.where((t % 8) < 2, 1.0 * np.sin(np.pi * (t % 8)), 0.0)  # reps, then rest
    jd = np.array([0.0, 1.0, 0.0])
    gyro_p = np.outer(sway, [flip, 0.0, 0.0]) + rng.normal(scale=0.005, size=(t.size, 3))
    gyro_d = np.outer(sway + joint, [0.0, 1.0, 0.0]) + rng.normal(scale=0.005, size=(t.size, 3))
    pairing = AxisPairing(RATE)
    pairing.add(gyro_d, gyro_p, jd, np.array([1.0, 0.0, 0.0]))
    assert pairing.decided_ and pairing.sign_ == flip
