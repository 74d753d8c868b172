"""Camera + IMU on one joint: the camera removes the IMU's drift, the IMU fills the frames
the camera misses, and each rep says where its ROM came from."""

from __future__ import annotations

import numpy as np
import pytest

from motion.camera_fusion import AngleSource, CameraImuFusion, camera_on
from motion.camera_set import CameraImuSet
from motion.pipeline import SetAnalyzer
from sensors.sim import SimConfig, simulate

CAM_FPS = 30.0


def _reps_angle(t: np.ndarray, period_s: float = 6.0, rom: float = 60.0) -> np.ndarray:
    u = np.clip((t - 2.0) % period_s / period_s, 0, 1)
    return np.where(t > 2.0, rom * np.sin(np.pi * np.clip(u / 0.7, 0, 1)) ** 2, 0.0)


def test_camera_on_interpolates_only_between_close_seen_frames():
    cam_t = np.array([0.0, 1 / 30, 2 / 30, 0.5, 0.6])
    cam_a = np.array([0.0, 3.0, np.nan, 10.0, 20.0])
    t = np.array([0.0, 1 / 60, 1 / 30, 0.05, 0.3, 0.55, 0.6, 0.7])
    got = camera_on(t, cam_t, cam_a, max_frame_gap_s=0.2)
    np.testing.assert_allclose(got[:3], [0.0, 1.5, 3.0])
    assert np.isnan(got[3]) and np.isnan(got[4])  # after a hidden frame / across 0.47 s
    assert got[5] == pytest.approx(15.0)
    assert got[6] == 20.0 and np.isnan(got[7])  # nothing after the last frame


def test_drift_removed_and_hidden_span_filled_by_the_imu():
    rng = np.random.default_rng(0)
    t_imu = np.arange(0, 60, 0.01)
    truth = _reps_angle(t_imu)
    drift = 0.3 * t_imu  # 18°/min: a badly calibrated gyro
    imu = truth + drift + rng.normal(0, 0.2, t_imu.shape)
    t_cam = np.arange(0, 60, 1 / CAM_FPS)
    cam = _reps_angle(t_cam) - 90.0 + rng.normal(0, 2.0, t_cam.shape)  # other zero, noisy
    hidden = (t_cam > 30) & (t_cam < 36)
    cam[hidden] = np.nan
    fusion = CameraImuFusion(tau_s=5.0)
    out_t, out_a, used = [], [], []
    for k in range(0, t_imu.size, 25):  # IMU in 0.25 s batches, camera frames as they come
        fusion.push_imu(t_imu[k:k + 25], imu[k:k + 25])
        sel = (t_cam >= t_imu[k] - 0.1) & (t_cam < t_imu[min(k + 25, t_imu.size - 1)] - 0.1)
        fusion.push_camera(t_cam[sel], cam[sel])
        for acc, got in zip((out_t, out_a, used), fusion.pop()):
            acc.append(got)
    for acc, got in zip((out_t, out_a, used), fusion.pop(flush=True)):
        acc.append(got)
    t, fused, used_all = map(np.concatenate, (out_t, out_a, used))
    np.testing.assert_array_equal(t, t_imu)  # every IMU sample once, in order
    err = fused - (_reps_angle(t) - 90.0)
    late = t > 10
    assert np.sqrt(np.mean(err[late] ** 2)) < 2.0  # vs 3..18° of raw drift
    assert not used_all[(t > 30.1) & (t < 35.9)].any()
    # While hidden the IMU carries on with the held offset: drift over 6 s only.
    assert np.max(np.abs(err[(t > 30) & (t < 36)])) < 0.3 * 6 + 2.0
    # (the last 0.1 s of IMU comes after the last camera frame pushed)
    assert used_all[late & (t < 59.8) & ~((t > 29.9) & (t < 36.1))].all()


def test_a_stalled_camera_does_not_hold_the_imu_back():
    fusion = CameraImuFusion(max_wait_s=0.5)
    fusion.push_camera(np.array([0.0]), np.array([5.0]))
    fusion.push_imu(np.arange(0, 2, 0.01), np.zeros(200))
    t, _, used = fusion.pop()
    assert t[-1] == pytest.approx(1.5, abs=0.011)  # released up to 0.5 s behind the newest
    assert used[0] and not used[1:].any()


def test_camera_imu_set_counts_reps_and_names_each_rom_source():
    sim = simulate(SimConfig("knee_extension_seated", reps=4, rate_hz=100.0, seed=3,
                             mounting="identity", drop_prob=0.0, rom_jitter=0.0))
    truth = sim.truth
    t_cam = np.arange(truth.angle_t_s[0], truth.angle_t_s[-1], 1 / CAM_FPS)
    angle = np.interp(t_cam, truth.angle_t_s, truth.angle_deg)
    rng = np.random.default_rng(1)
    cam = angle - 90.0 + rng.normal(0, 1.5, t_cam.shape)  # camera: minus knee flexion
    rep2 = truth.reps[1]
    cam[(t_cam > rep2.t_start - 0.3) & (t_cam < rep2.t_end + 0.3)] = np.nan
    both = CameraImuSet(sim.config.rate_hz, target_rom_deg=70.0)
    t_prev = -np.inf
    for part in sim.distal.split(30):
        both.feed_imu(part)
        t_hi = float(part.t_s[-1]) - 0.05  # the camera lags the IMU a little
        sel = (t_cam > t_prev) & (t_cam <= t_hi)
        both.feed_camera(t_cam[sel], cam[sel])
        t_prev = t_hi
    both.finish()
    imu_only = SetAnalyzer(sim.config.rate_hz, target_rom_deg=70.0)
    for part in sim.distal.split(30):
        imu_only.feed(part)
    imu_only.finish()
    assert len(both.reps_) == len(truth.reps) == len(imu_only.reps_) == 4
    assert both.rep_sources_ == [AngleSource.CAMERA, AngleSource.IMU, AngleSource.CAMERA,
                                 AngleSource.CAMERA]
    for rep, tr in zip(both.reps_, truth.reps):
        assert rep.rom_deg == pytest.approx(tr.rom_deg, abs=5.0)
