"""Rigid-body kinematics of the simulated limb and the ideal (noise-free) IMU readings.

Frames: world x forward, y left, z up; each segment frame coincides with the world at rest.
One segment: R_WD = Rot(move_axis, theta) @ Exp(wobble), joint fixed at the origin.
Two segments: R_WP = Rot(z, yaw_sway) @ Rot(proximal_move_axis, coupling*theta + sway),
R_WD = R_WP @ Rot(move_axis, theta) @ Exp(wobble) (the joint axis is fixed in the proximal
segment), and the distal joint centre rides on the proximal segment's far end.
A sensor with mounting R_BS sits at distance r along its segment's long axis: R_WS = R_W* @ R_BS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sensors.sim.config import SimConfig
from sensors.sim.profile import RepTruth, Sway, theta_deg, wobble_coefficients, wobble_rotvec
from sensors.sim.rotations import axis_angle, exp_so3, log_so3
from sensors.types import STANDARD_GRAVITY_M_S2

# Derivatives come from central differences on a 1 kHz grid centred on each emitted sample
# (t-h, t, t+h): no interpolation error at any output rate, O(h²) truncation.
STENCIL_H_S = 1e-3
GRAVITY_UP_W = np.array([0.0, 0.0, STANDARD_GRAVITY_M_S2])
_Z_UP = np.array([0.0, 0.0, 1.0])


def _unit(v: tuple[float, float, float]) -> np.ndarray:
    a = np.asarray(v, float)
    return a / np.linalg.norm(a)


@dataclass(frozen=True, slots=True, eq=False)
class Poses:
    """Segment orientations and sensor positions at a run of times (world frame)."""

    theta_deg: np.ndarray  # (n,) exercise angle
    rot_distal: np.ndarray  # (n, 3, 3) R_WD
    pos_distal: np.ndarray  # (n, 3) distal sensor position (m)
    rot_proximal: np.ndarray | None  # (n, 3, 3) R_WP
    pos_proximal: np.ndarray | None  # (n, 3) proximal sensor position (m)


class LimbMotion:
    """The simulated limb: call :meth:`poses` at any times (deterministic once built)."""

    def __init__(self, cfg: SimConfig, reps: list[RepTruth], rng: np.random.Generator) -> None:
        geo = cfg.geometry
        self.reps = reps
        self.two_segment = cfg.two_segment
        self.move_axis = _unit(geo.move_axis)
        self.distal_offset = _unit(geo.distal_axis_long) * cfg.sensor_distance_m
        self.proximal_move_axis = _unit(geo.proximal_move_axis)
        self.proximal_end = _unit(geo.proximal_axis_long) * geo.proximal_length_m
        r_p = cfg.proximal_sensor_distance_m
        self.proximal_offset = _unit(geo.proximal_axis_long) * (
            r_p if r_p is not None else geo.proximal_length_m / 2.0
        )
        self.coupling = cfg.coupling
        self.wobble_deg = cfg.off_axis_wobble_deg
        self.wobble_coef = wobble_coefficients(len(reps), rng)
        self.sway = Sway(cfg.proximal_sway_deg, reps[0].t_start, rng)

    def poses(self, t: np.ndarray) -> Poses:
        theta, frac, idx = theta_deg(t, self.reps)
        wob = wobble_rotvec(frac, idx, self.wobble_coef, self.move_axis, self.wobble_deg)
        rel = axis_angle(self.move_axis, np.deg2rad(theta)) @ exp_so3(wob)
        if not self.two_segment:
            return Poses(theta, rel, rel @ self.distal_offset, None, None)
        sway_move, sway_yaw = self.sway.angles(t)
        rot_p = axis_angle(_Z_UP, sway_yaw) @ axis_angle(
            self.proximal_move_axis, self.coupling * np.deg2rad(theta) + sway_move
        )
        rot_d = rot_p @ rel
        joint = rot_p @ self.proximal_end
        return Poses(theta, rot_d, joint + rot_d @ self.distal_offset, rot_p,
                     rot_p @ self.proximal_offset)


def ideal_imu(
    motion: LimbMotion, t: np.ndarray, mounting: np.ndarray, proximal: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Noise-free (accel_m_s2, gyro_rad_s), each (n, 3), in the sensor frame at times ``t``.

    Gyro: body angular velocity of the sensor, log(R(t-h)^T R(t+h)) / 2h.
    Accel: specific force R_WS^T (p'' + g up), so a still sensor reads +9.81 m/s² along up.
    """
    t = np.asarray(t, float)
    n = t.shape[0]
    h = STENCIL_H_S
    p = motion.poses(np.concatenate([t - h, t, t + h]))
    rot = p.rot_proximal if proximal else p.rot_distal
    pos = p.pos_proximal if proximal else p.pos_distal
    assert rot is not None and pos is not None, "proximal IMU asked of a one-segment motion"
    rot_ws = rot @ mounting
    before, now, after = rot_ws[:n], rot_ws[n : 2 * n], rot_ws[2 * n :]
    gyro = log_so3(np.swapaxes(before, -1, -2) @ after) / (2.0 * h)
    acc_w = (pos[2 * n :] - 2.0 * pos[n : 2 * n] + pos[:n]) / h**2
    accel = np.einsum("nji,nj->ni", now, acc_w + GRAVITY_UP_W)
    return accel, gyro
