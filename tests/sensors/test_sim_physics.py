"""Physics of the simulated wearable: each property the motion-core benchmark relies on."""

from __future__ import annotations

import json

import numpy as np
import pytest

from exercises import CATALOGUE
from sensors.sim import RepKind, SimConfig, SimError, simulate
from sensors.sim.geometry import GEOMETRY
from sensors.sim.rotations import exp_so3, twist_angle
from sensors.types import STANDARD_GRAVITY_M_S2

NOISE_FREE: dict[str, float] = {
    "gyro_noise_rad_s": 0.0, "gyro_bias_rad_s": 0.0, "gyro_bias_drift_rad_s_sqrt_s": 0.0,
    "accel_noise_m_s2": 0.0, "accel_bias_m_s2": 0.0, "drop_prob": 0.0,
}
G_UP = np.array([0.0, 0.0, STANDARD_GRAVITY_M_S2])


def integrate_gyro(t: np.ndarray, gyro: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Sensor orientations R_WS from body rates (trapezoid rate, exponential map)."""
    steps = exp_so3(0.5 * (gyro[1:] + gyro[:-1]) * np.diff(t)[:, None])
    out = np.empty((len(t), 3, 3))
    out[0] = start
    for k, step in enumerate(steps):
        out[k + 1] = out[k] @ step
    return out


def at_rest(res) -> np.ndarray:  # type: ignore[no-untyped-def]
    return res.distal.t_s < res.truth.reps[0].t_start - 0.05


def test_still_sensor_reads_one_g_up() -> None:
    clean = simulate(SimConfig(reps=2, **NOISE_FREE))
    norm = np.linalg.norm(clean.distal.accel_m_s2[at_rest(clean)], axis=1)
    np.testing.assert_allclose(norm, STANDARD_GRAVITY_M_S2, atol=1e-6)
    # The reading is gravity seen through the mounting: R_BS^T [0, 0, g].
    np.testing.assert_allclose(clean.distal.accel_m_s2[0], clean.distal_mounting.T @ G_UP,
                               atol=1e-6)
    noisy = simulate(SimConfig(reps=2))
    norm = np.linalg.norm(noisy.distal.accel_m_s2[at_rest(noisy)], axis=1)
    assert abs(norm.mean() - STANDARD_GRAVITY_M_S2) < 0.1
    assert 0.01 < norm.std() < 0.06  # the configured 0.03 m/s² white noise


@pytest.mark.parametrize("exercise_id", sorted(CATALOGUE))
def test_gyro_about_the_move_axis_integrates_to_theta(exercise_id: str) -> None:
    res = simulate(SimConfig(exercise_id=exercise_id, reps=3, off_axis_wobble_deg=0.0,
                             **NOISE_FREE))
    axis = np.asarray(GEOMETRY[exercise_id].move_axis, float)
    # The gyro is in the (randomly mounted) sensor frame; rotate it to the segment frame.
    rate = (res.distal.gyro_rad_s @ res.distal_mounting.T) @ axis
    t = res.distal.t_s
    angle = np.concatenate([[0.0], np.cumsum(0.5 * (rate[1:] + rate[:-1]) * np.diff(t))])
    err = np.rad2deg(angle) - res.truth.angle_deg
    assert np.abs(err).max() < 0.1
    assert res.truth.angle_deg.max() > 0.5 * CATALOGUE[exercise_id].target_rom_deg


def test_full_orientation_from_gyro_matches_truth_with_wobble() -> None:
    res = simulate(SimConfig(reps=3, off_axis_wobble_deg=3.0, **NOISE_FREE))
    r_ws = integrate_gyro(res.distal.t_s, res.distal.gyro_rad_s, res.distal_mounting)
    r_wd = r_ws @ res.distal_mounting.T
    move_axis = GEOMETRY["knee_extension_seated"].move_axis
    err = np.rad2deg(twist_angle(r_wd, move_axis)) - res.truth.angle_deg
    assert np.abs(err).max() < 0.1
    # The wobble really tilts the segment off the movement plane, by about its size.
    long_axis = r_wd @ np.array([0.0, 0.0, -1.0])
    off_plane_deg = np.rad2deg(np.arcsin(np.abs(long_axis[:, 1])))
    assert 0.3 < off_plane_deg.max() < 12.0


def test_accel_at_the_top_of_a_hold_is_gravity_rotated_by_theta() -> None:
    res = simulate(SimConfig(reps=3, off_axis_wobble_deg=0.0, **NOISE_FREE))
    axis = np.asarray(GEOMETRY["knee_extension_seated"].move_axis, float)
    for rep in res.truth.reps:
        k = int(np.argmin(np.abs(res.distal.t_s - rep.t_peak)))
        r_wd = exp_so3(np.deg2rad(rep.rom_deg) * axis)[0]
        expected = (r_wd @ res.distal_mounting).T @ G_UP
        np.testing.assert_allclose(res.distal.accel_m_s2[k], expected, atol=1e-5)
        np.testing.assert_allclose(res.distal.gyro_rad_s[k], 0.0, atol=1e-9)
        assert res.truth.angle_deg[k] == pytest.approx(rep.rom_deg, abs=1e-9)


def _linear_accel(distance_m: float) -> tuple[np.ndarray, object]:
    res = simulate(SimConfig(reps=2, rate_hz=1000.0, sensor_distance_m=distance_m,
                             mounting="identity", off_axis_wobble_deg=0.0, **NOISE_FREE))
    r_wd = exp_so3(np.deg2rad(res.truth.angle_deg)[:, None]
                   * np.asarray(GEOMETRY["knee_extension_seated"].move_axis))
    gravity_s = np.einsum("nji,j->ni", r_wd, G_UP)
    return res.distal.accel_m_s2 - gravity_s, res


def test_linear_acceleration_scales_with_sensor_distance() -> None:
    near, res = _linear_accel(0.15)
    far, _ = _linear_accel(0.30)
    assert np.abs(far).max() > 0.5  # there is real linear acceleration to compare
    np.testing.assert_allclose(far, 2.0 * near, atol=1e-6)
    # At mid-rise (peak speed, no angular acceleration) it is purely centripetal: r w².
    rep = res.truth.reps[0]  # type: ignore[attr-defined]
    k = int(np.argmin(np.abs(res.distal.t_s - (rep.t_start + rep.up_s / 2))))  # type: ignore[attr-defined]
    w_peak = 15.0 / 8.0 * np.deg2rad(rep.rom_deg) / rep.up_s
    assert np.linalg.norm(far[k]) == pytest.approx(0.30 * w_peak**2, rel=1e-3)
    # Identity mounting, shank pointing down: centripetal points back up the shank (+z).
    assert far[k][2] == pytest.approx(0.30 * w_peak**2, rel=1e-3)


def test_two_segment_relative_rotation_reproduces_flexion_truth() -> None:
    for exercise_id in ("knee_extension_seated", "elbow_flexion", "heel_slide"):
        res = simulate(SimConfig(exercise_id=exercise_id, reps=3, two_segment=True,
                                 **NOISE_FREE))
        assert res.proximal is not None and res.proximal_mounting is not None
        np.testing.assert_array_equal(res.proximal.t_s, res.distal.t_s)
        r_wd = integrate_gyro(res.distal.t_s, res.distal.gyro_rad_s, res.distal_mounting)
        r_wd = r_wd @ res.distal_mounting.T
        r_wp = integrate_gyro(res.proximal.t_s, res.proximal.gyro_rad_s,
                              res.proximal_mounting) @ res.proximal_mounting.T
        rel = np.swapaxes(r_wp, -1, -2) @ r_wd
        flex = np.rad2deg(twist_angle(rel, GEOMETRY[exercise_id].move_axis))
        assert np.abs(flex - res.truth.angle_deg).max() < 0.15, exercise_id
        # ...while the distal segment's own world rotation is NOT the flexion angle.
        world = np.rad2deg(twist_angle(r_wd, GEOMETRY[exercise_id].move_axis))
        assert np.abs(world - res.truth.angle_deg).max() > 3.0
        # The proximal segment sways from the first rep on, still before it.
        rate = np.linalg.norm(res.proximal.gyro_rad_s, axis=1)
        first = res.truth.reps[0].t_start
        assert rate[res.proximal.t_s < first].max() < 1e-9
        last_hold = res.truth.reps[-1]
        in_hold = np.abs(res.proximal.t_s - last_hold.t_peak) < last_hold.hold_s / 2 - 0.05
        assert rate[in_hold].max() > np.deg2rad(0.3)


def test_two_segment_proximal_at_rest_and_distal_joint_moves() -> None:
    res = simulate(SimConfig(reps=2, two_segment=True, **NOISE_FREE))
    assert res.proximal is not None and res.proximal_info is not None
    norm = np.linalg.norm(res.proximal.accel_m_s2[at_rest(res)], axis=1)
    np.testing.assert_allclose(norm, STANDARD_GRAVITY_M_S2, atol=1e-6)
    assert res.proximal_info.segment == CATALOGUE["knee_extension_seated"].proximal
    assert res.info.segment == CATALOGUE["knee_extension_seated"].distal


def test_dropped_samples_follow_drop_prob_and_leave_irregular_times() -> None:
    cfg = SimConfig(reps=10, rate_hz=200.0, drop_prob=0.01)
    res = simulate(cfg)
    expected_n = int(np.floor(res.truth.duration_s * cfg.rate_hz)) + 1
    dropped = expected_n - len(res.distal)
    assert abs(dropped - 0.01 * expected_n) < 5 * np.sqrt(0.01 * expected_n)
    steps = np.round(np.diff(res.distal.t_s) * cfg.rate_hz).astype(int)
    assert set(steps.tolist()) == {1, 2}  # isolated drops only
    assert (steps == 2).sum() == dropped
    np.testing.assert_array_equal(res.truth.angle_t_s, res.distal.t_s)


def test_gap_removes_one_stretch_in_the_middle() -> None:
    res = simulate(SimConfig(reps=4, gap_s=3.0, drop_prob=0.0))
    steps = np.diff(res.distal.t_s)
    assert steps.max() == pytest.approx(3.0, abs=0.02)
    mid = 0.5 * (res.distal.t_s[0] + res.distal.t_s[-1])
    assert abs(res.distal.t_s[np.argmax(steps)] - (mid - 1.5)) < 0.05
    assert (steps > 0.015).sum() == 1


def test_seed_reproduces_and_different_seeds_differ() -> None:
    a = simulate(SimConfig(reps=3, two_segment=True, seed=7))
    b = simulate(SimConfig(reps=3, two_segment=True, seed=7))
    c = simulate(SimConfig(reps=3, two_segment=True, seed=8))
    for x, y in ((a.distal, b.distal), (a.proximal, b.proximal)):
        assert x is not None and y is not None
        np.testing.assert_array_equal(x.t_s, y.t_s)
        np.testing.assert_array_equal(x.accel_m_s2, y.accel_m_s2)
        np.testing.assert_array_equal(x.gyro_rad_s, y.gyro_rad_s)
    assert a.truth.to_json() == b.truth.to_json()
    assert a.truth.to_json() != c.truth.to_json()
    # Noise is drawn apart from the motion: turning it off keeps the same reps.
    clean = simulate(SimConfig(reps=3, two_segment=True, seed=7, **NOISE_FREE))
    assert clean.truth.reps == a.truth.reps


def test_rep_kinds_tempo_rom_and_truth_json() -> None:
    kinds = ("correct", "fast", "partial", "correct")
    res = simulate(SimConfig(reps=4, rep_kinds=kinds, rom_jitter=0.0, tempo_jitter=0.0))
    ex = CATALOGUE["knee_extension_seated"]
    r = res.truth.reps
    assert [x.kind for x in r] == [RepKind(k) for k in kinds]
    assert r[0].rom_deg == pytest.approx(ex.target_rom_deg)
    assert r[1].hold_s == 0.0 and r[1].up_s == pytest.approx(ex.up_s * 0.45)
    assert r[2].rom_deg == pytest.approx(ex.target_rom_deg * 0.5)
    assert r[3].rest_s == 0.0 and r[2].rest_s == pytest.approx(ex.rest_s)
    assert res.truth.angle_deg.max() == pytest.approx(ex.target_rom_deg, abs=1e-6)
    doc = json.loads(json.dumps(res.truth.to_json()))
    assert doc["n_reps"] == 4 and doc["reps"][1]["kind"] == "fast"
    assert len(doc["angle_deg"]) == len(res.distal)


@pytest.mark.parametrize(
    "kwargs",
    [{"exercise_id": "no_such"}, {"reps": 0}, {"reps": 2, "rep_kinds": ("correct",)},
     {"reps": 1, "rep_kinds": ("sloppy",)}, {"mounting": "glued"}, {"rate_hz": 0.0}],
)
def test_bad_config_raises_sim_error(kwargs: dict[str, object]) -> None:
    with pytest.raises(SimError):
        simulate(SimConfig(**kwargs))  # type: ignore[arg-type]


@pytest.mark.parametrize("exercise_id", ["knee_extension_seated", "shoulder_flexion_standing"])
def test_two_segment_accel_matches_geometry_and_gyro_orientation(exercise_id: str) -> None:
    """Rebuild each sensor's path from its own gyro and the segment lengths (the distal joint
    rides on the proximal segment): its second derivative must be what the accel reads."""
    geo = GEOMETRY[exercise_id]
    res = simulate(SimConfig(exercise_id=exercise_id, reps=2, two_segment=True, rate_hz=1000.0,
                             **NOISE_FREE))
    assert res.proximal is not None and res.proximal_mounting is not None
    r_ws_p = integrate_gyro(res.proximal.t_s, res.proximal.gyro_rad_s, res.proximal_mounting)
    r_ws_d = integrate_gyro(res.distal.t_s, res.distal.gyro_rad_s, res.distal_mounting)
    r_wp, r_wd = r_ws_p @ res.proximal_mounting.T, r_ws_d @ res.distal_mounting.T
    prox_long = np.asarray(geo.proximal_axis_long, float)
    path_p = r_wp @ (prox_long * geo.proximal_length_m / 2.0)
    path_d = r_wp @ (prox_long * geo.proximal_length_m) + r_wd @ (
        np.asarray(geo.distal_axis_long, float) * 0.3)
    dt = 1.0 / 1000.0
    for r_ws, path, chunk in ((r_ws_p, path_p, res.proximal), (r_ws_d, path_d, res.distal)):
        from_path = (path[2:] - 2.0 * path[1:-1] + path[:-2]) / dt**2
        from_imu = np.einsum("nij,nj->ni", r_ws[1:-1], chunk.accel_m_s2[1:-1]) - G_UP
        assert np.abs(from_path).max() > 0.02  # trunk sway is slow: ~0.05 m/s²
        assert np.abs(from_path - from_imu).max() < 0.01
