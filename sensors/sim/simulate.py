"""Run a simulated set: ideal IMU readings plus bias, drift, noise and dropped samples."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sensors.sim.config import SimConfig
from sensors.sim.kinematics import LimbMotion, ideal_imu
from sensors.sim.profile import RepTruth, plan_reps
from sensors.sim.rotations import random_rotation, strapped_rotation
from sensors.types import ImuChunk, SourceInfo

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, eq=False)
class SimTruth:
    """Ground truth at the emitted (distal) sample times, and what each rep really was.

    ``angle_deg``: one segment, the segment's rotation about ``move_axis`` from rest; two
    segments, the joint flexion angle (distal relative to proximal about the joint axis).
    """

    exercise_id: str
    rate_hz: float
    seed: int
    two_segment: bool
    duration_s: float
    angle_t_s: np.ndarray
    angle_deg: np.ndarray
    reps: list[RepTruth] = field(default_factory=list)

    def to_json(self, include_angle: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "exercise_id": self.exercise_id,
            "rate_hz": self.rate_hz,
            "seed": self.seed,
            "two_segment": self.two_segment,
            "duration_s": round(self.duration_s, 4),
            "n_reps": len(self.reps),
            "reps": [r.to_json() for r in self.reps],
        }
        if include_angle:
            out["angle_t_s"] = np.round(self.angle_t_s, 5).tolist()
            out["angle_deg"] = np.round(self.angle_deg, 4).tolist()
        return out


@dataclass(frozen=True, slots=True, eq=False)
class SimResult:
    """Everything one simulation produced. Mountings are R_BS (sensor -> segment frame)."""

    config: SimConfig
    distal: ImuChunk
    info: SourceInfo
    truth: SimTruth
    distal_mounting: np.ndarray
    proximal: ImuChunk | None = None
    proximal_info: SourceInfo | None = None
    proximal_mounting: np.ndarray | None = None


def _streams(cfg: SimConfig) -> dict[str, np.random.Generator]:
    """Independent seeded streams, so turning noise off leaves the motion unchanged."""
    names = ("motion", "mounting", "noise_distal", "noise_proximal", "drop_distal",
             "drop_proximal", "rest")  # new streams go last: spawn keeps the earlier ones
    seqs = np.random.SeedSequence(cfg.seed).spawn(len(names))
    return {n: np.random.default_rng(s) for n, s in zip(names, seqs)}


def _add_noise(
    accel: np.ndarray, gyro: np.ndarray, dt: float, cfg: SimConfig, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    n = accel.shape[0]
    g_bias = rng.uniform(-cfg.gyro_bias_rad_s, cfg.gyro_bias_rad_s, size=3)
    drift = np.cumsum(rng.normal(scale=cfg.gyro_bias_drift_rad_s_sqrt_s * np.sqrt(dt),
                                 size=(n, 3)), axis=0)
    gyro = gyro + g_bias + drift + rng.normal(scale=cfg.gyro_noise_rad_s, size=(n, 3))
    a_bias = rng.uniform(-cfg.accel_bias_m_s2, cfg.accel_bias_m_s2, size=3)
    accel = accel + a_bias + rng.normal(scale=cfg.accel_noise_m_s2, size=(n, 3))
    return accel, gyro


def _keep_mask(t: np.ndarray, cfg: SimConfig, rng: np.random.Generator) -> np.ndarray:
    """Which samples arrive: isolated random drops (never first/last), plus the optional gap."""
    n = t.shape[0]
    drop: np.ndarray = np.asarray(rng.random(n) < cfg.drop_prob)
    drop[1:] &= ~drop[:-1]  # isolated: never two in a row
    drop[0] = drop[-1] = False
    if cfg.gap_s > 0.0:
        mid = 0.5 * (t[0] + t[-1])
        drop |= (t >= mid - cfg.gap_s / 2.0) & (t < mid + cfg.gap_s / 2.0)
    return np.logical_not(drop)


def simulate(cfg: SimConfig) -> SimResult:
    """Simulate one set of ``cfg.reps`` reps of ``cfg.exercise_id``. Deterministic per seed."""
    cfg.validate()
    ex = cfg.exercise
    rng = _streams(cfg)
    reps, duration = plan_reps(cfg, rng["motion"], rng["rest"])
    motion = LimbMotion(cfg, reps, rng["motion"])
    dt = 1.0 / cfg.rate_hz
    t = cfg.t0_s + np.arange(int(np.floor(duration * cfg.rate_hz)) + 1) * dt

    def mounting() -> np.ndarray:
        mode = cfg.mounting_mode()
        if mode == "strapped":
            # Both sensors face out along the same side of the limb (the joint axis).
            return strapped_rotation(rng["mounting"],
                                     np.asarray(cfg.geometry.move_axis, float))
        r = random_rotation(rng["mounting"])
        return r if mode == "random" else np.eye(3)

    m_d, m_p = mounting(), mounting()
    accel, gyro = ideal_imu(motion, t, m_d)
    accel, gyro = _add_noise(accel, gyro, dt, cfg, rng["noise_distal"])
    keep = _keep_mask(t, cfg, rng["drop_distal"])
    distal = ImuChunk(t[keep], accel[keep], gyro[keep])
    info = SourceInfo("sim-distal", ex.distal, cfg.rate_hz, f"simulated {ex.distal.value}")
    theta = motion.poses(t[keep]).theta_deg
    truth = SimTruth(cfg.exercise_id, cfg.rate_hz, cfg.seed, cfg.two_segment, duration,
                     t[keep].copy(), theta, reps)
    if not cfg.two_segment:
        log.debug("simulated %d samples (%d dropped)", len(distal), int((~keep).sum()))
        return SimResult(cfg, distal, info, truth, m_d)
    accel_p, gyro_p = ideal_imu(motion, t, m_p, proximal=True)
    accel_p, gyro_p = _add_noise(accel_p, gyro_p, dt, cfg, rng["noise_proximal"])
    keep_p = _keep_mask(t, cfg, rng["drop_proximal"])
    proximal = ImuChunk(t[keep_p], accel_p[keep_p], gyro_p[keep_p])
    info_p = SourceInfo("sim-proximal", ex.proximal, cfg.rate_hz,
                        f"simulated {ex.proximal.value}")
    return SimResult(cfg, distal, info, truth, m_d, proximal, info_p, m_p)
