"""Synthetic side-on skeletons for camera tests (pure geometry, no model).

A seated patient seen from the right, 640x480: hip fixed, thigh horizontal forward (+x),
shank at knee flexion ``flex`` (0 = straight, forward; 90 = hanging down). Pixel noise
and visibility are set per frame, like MediaPipe's output.
"""

from __future__ import annotations

import numpy as np

from sensors.camera.landmarks import N_LANDMARKS, PoseFrame
from sensors.camera.landmarks import Landmark as L

W, H = 640, 480
HIP = np.array([250.0, 260.0])
THIGH_PX, SHANK_PX, TORSO_PX = 130.0, 120.0, 150.0


def seated_frame(t_s: float, knee_flex_deg: float, *, noise_px: float = 0.0,
                 rng: np.random.Generator | None = None, visibility: float = 0.98,
                 frontal: bool = False) -> PoseFrame:
    """All 33 landmarks of a seated body seen side-on (``frontal``: shoulders and hips
    spread across the image as in a front view)."""
    xy = np.zeros((N_LANDMARKS, 2))
    spread = np.array([70.0, 0.0]) if frontal else np.array([6.0, 0.0])
    knee = HIP + [THIGH_PX, 0.0]
    th = np.radians(knee_flex_deg)
    ankle = knee + SHANK_PX * np.array([np.cos(th), np.sin(th)])
    shoulder = HIP + [0.0, -TORSO_PX]
    for left, right, p in (
        (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, shoulder),
        (L.LEFT_HIP, L.RIGHT_HIP, HIP),
        (L.LEFT_KNEE, L.RIGHT_KNEE, knee),
        (L.LEFT_ANKLE, L.RIGHT_ANKLE, ankle),
        (L.LEFT_HEEL, L.RIGHT_HEEL, ankle + [-8.0, 6.0]),
        (L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX, ankle + [18.0 * np.sin(th), -18.0 * np.cos(th)]),
        (L.LEFT_ELBOW, L.RIGHT_ELBOW, shoulder + [20.0, 80.0]),
        (L.LEFT_WRIST, L.RIGHT_WRIST, shoulder + [80.0, 110.0]),
    ):
        xy[left] = p - spread / 2
        xy[right] = p + spread / 2
    xy[L.NOSE] = shoulder + [25.0, -45.0]
    for i in range(1, 11):  # face points around the nose
        xy[i] = xy[L.NOSE] + [(-1) ** i * 6.0, -4.0]
    for i in range(17, 23):  # hand points at the wrists
        xy[i] = xy[L.LEFT_WRIST if i % 2 else L.RIGHT_WRIST] + [6.0, 4.0]
    if noise_px and rng is not None:
        xy = xy + rng.normal(0.0, noise_px, xy.shape)
    return PoseFrame(t_s, xy, np.full(N_LANDMARKS, visibility), W, H)


def knee_extension_flex(t: np.ndarray, *, reps: int, period_s: float = 5.0,
                        rest_flex: float = 90.0, top_flex: float = 20.0,
                        lead_s: float = 2.0) -> np.ndarray:
    """Knee flexion of a seated knee-extension set: rest, raise, hold, lower, rest."""
    flex = np.full(t.shape, rest_flex)
    for k in range(reps):
        t0 = lead_s + k * period_s
        u = (t - t0) / period_s  # 0..1 over the rep: up 25 %, hold 25 %, down 25 %, rest
        up = np.clip(u / 0.25, 0, 1)
        down = np.clip((u - 0.5) / 0.25, 0, 1)
        lift = (0.5 - 0.5 * np.cos(np.pi * up)) - (0.5 - 0.5 * np.cos(np.pi * down))
        inside = (u >= 0) & (u < 1)
        flex = np.where(inside, rest_flex - (rest_flex - top_flex) * lift, flex)
    return flex
