"""One frame's body landmarks in image pixels (pure values; no model import).

Landmark numbering is MediaPipe Pose's 33-point topology (BlazePose), the model this
package runs; only the points the kiosk uses are named.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

N_LANDMARKS = 33  # BlazePose topology


class Landmark(IntEnum):
    """BlazePose landmark indices (mediapipe.solutions.pose.PoseLandmark)."""

    NOSE = 0
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


# Bones drawn on the set-up preview (subset of mediapipe's POSE_CONNECTIONS, no face/hands).
SKELETON: tuple[tuple[Landmark, Landmark], ...] = (
    (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_ELBOW),
    (Landmark.LEFT_ELBOW, Landmark.LEFT_WRIST),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_ELBOW),
    (Landmark.RIGHT_ELBOW, Landmark.RIGHT_WRIST),
    (Landmark.LEFT_HIP, Landmark.LEFT_KNEE),
    (Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE),
    (Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE),
    (Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE),
    (Landmark.LEFT_ANKLE, Landmark.LEFT_FOOT_INDEX),
    (Landmark.RIGHT_ANKLE, Landmark.RIGHT_FOOT_INDEX),
)


@dataclass(frozen=True, slots=True)
class PoseFrame:
    """Landmarks of one image: ``xy_px`` (33, 2) in pixels (x right, y down), ``visibility``
    (33,) in 0..1, ``t_s`` the capture time. Depth is left out on purpose: the model's z is
    unreliable, so angles are measured in the image plane with the camera side-on."""

    t_s: float
    xy_px: np.ndarray
    visibility: np.ndarray
    width: int
    height: int

    @classmethod
    def from_normalized(cls, t_s: float, xyv: np.ndarray, width: int, height: int) -> PoseFrame:
        """From the model's normalised (x, y, visibility) rows: x and y are fractions of the
        image width and height, so they are scaled separately (a 4:3 image is not square)."""
        xyv = np.asarray(xyv, float)
        xy = xyv[:, :2] * np.array([width, height], float)
        return cls(float(t_s), xy, np.clip(xyv[:, 2], 0.0, 1.0), int(width), int(height))

    def point(self, lm: Landmark) -> np.ndarray:
        return self.xy_px[int(lm)]

    def visible(self, lm: Landmark, min_visibility: float) -> bool:
        return bool(self.visibility[int(lm)] >= min_visibility)
