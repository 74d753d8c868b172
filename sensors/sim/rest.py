"""A wearable at rest: the wrist of someone standing still between sets (numpy only).

Each axis wanders as a sum of six sines of 0.05-1 Hz with random phases (peaks about
``amp_deg``); gyro noise and a 0.6 °/s gyro bias; accelerometer noise. Nothing here is an
exercise: the motion core must count no rep (issue 11: "rest recordings count 0").
"""

from __future__ import annotations

import numpy as np

from sensors.sim.rotations import exp_so3
from sensors.types import ImuChunk

STANDARD_GRAVITY = 9.80665
GYRO_BIAS_RAD_S = 0.01
GYRO_NOISE_RAD_S = 0.005
ACCEL_NOISE_M_S2 = 0.03


def standing_sway(seed: int, amp_deg: float, *, rate_hz: float = 50.0,
                  duration_s: float = 60.0) -> ImuChunk:
    """``duration_s`` of sway at ``rate_hz`` (sensor frame, m/s² and rad/s)."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, duration_s, 1.0 / rate_hz)
    rv = np.zeros((t.shape[0], 3))
    for k in range(3):
        for f in rng.uniform(0.05, 1.0, 6):
            rv[:, k] += (np.radians(amp_deg / 3) * rng.uniform(0.3, 1.0)
                         * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)))
    rot = exp_so3(rv)  # sensor -> world
    acc = np.einsum("nji,j->ni", rot, np.array([0.0, 0.0, STANDARD_GRAVITY]))
    acc += rng.normal(0, ACCEL_NOISE_M_S2, acc.shape)
    d = np.einsum("nji,njk->nik", rot[:-1], rot[1:])  # body-frame increments
    w = np.stack([d[:, 2, 1] - d[:, 1, 2], d[:, 0, 2] - d[:, 2, 0], d[:, 1, 0] - d[:, 0, 1]],
                 axis=1) * (rate_hz / 2)
    w = np.vstack([w, w[-1:]])
    w += rng.normal(0, GYRO_NOISE_RAD_S, w.shape) + GYRO_BIAS_RAD_S
    return ImuChunk(t, acc, w)
