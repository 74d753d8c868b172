"""A wearable at rest: the wrist of someone standing still between sets (numpy only).

Each axis wanders as a sum of six sines of 0.05-``max_hz`` Hz with random phases (peaks
about ``amp_deg``); gyro noise and a 0.6 °/s gyro bias; accelerometer noise. Nothing here
is an exercise: the motion core must count no rep (issue 11: "rest recordings count 0").

The default ``max_hz`` of 1 Hz keeps the bench's original rows: at ±5° that is a wrist
rocking ±5° about all three axes once every one to three seconds without a pause, more
than quiet standing gives (postural sway is mostly below 0.5 Hz). The realistic rests,
with a person's isolated moves and a set after them, are in :mod:`sensors.sim.fidget`.
"""

from __future__ import annotations

import numpy as np

from sensors.sim.rotations import exp_so3
from sensors.types import ImuChunk

STANDARD_GRAVITY = 9.80665
GYRO_BIAS_RAD_S = 0.01
GYRO_NOISE_RAD_S = 0.005
ACCEL_NOISE_M_S2 = 0.03


def sway_rotvec(rng: np.random.Generator, t: np.ndarray, amp_deg: float,
                max_hz: float = 1.0) -> np.ndarray:
    """(n, 3) rotation vectors: per axis six sines of 0.05-``max_hz`` Hz (peaks ~amp)."""
    rv = np.zeros((t.shape[0], 3))
    for k in range(3):
        for f in rng.uniform(0.05, max_hz, 6):
            rv[:, k] += (np.radians(amp_deg / 3) * rng.uniform(0.3, 1.0)
                         * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)))
    return rv


def wearable(t: np.ndarray, rot: np.ndarray, rng: np.random.Generator, *,
             gyro_bias_rad_s: np.ndarray | float = GYRO_BIAS_RAD_S) -> ImuChunk:
    """What a still-positioned wearable reads when its orientation (sensor -> world,
    (n, 3, 3)) follows ``rot`` at times ``t``: gravity and the body-frame rate, plus noise
    and bias (no linear acceleration: the wrist turns, it is not carried)."""
    rate_hz = 1.0 / float(t[1] - t[0])
    acc = np.einsum("nji,j->ni", rot, np.array([0.0, 0.0, STANDARD_GRAVITY]))
    acc += rng.normal(0, ACCEL_NOISE_M_S2, acc.shape)
    d = np.einsum("nji,njk->nik", rot[:-1], rot[1:])  # body-frame increments
    w = np.stack([d[:, 2, 1] - d[:, 1, 2], d[:, 0, 2] - d[:, 2, 0], d[:, 1, 0] - d[:, 0, 1]],
                 axis=1) * (rate_hz / 2)
    w = np.vstack([w, w[-1:]])
    w += rng.normal(0, GYRO_NOISE_RAD_S, w.shape) + gyro_bias_rad_s
    return ImuChunk(t, acc, w)


def standing_sway(seed: int, amp_deg: float, *, rate_hz: float = 50.0,
                  duration_s: float = 60.0, max_hz: float = 1.0) -> ImuChunk:
    """``duration_s`` of sway at ``rate_hz`` (sensor frame, m/s² and rad/s)."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, duration_s, 1.0 / rate_hz)
    return wearable(t, exp_so3(sway_rotvec(rng, t, amp_deg, max_hz)), rng)
