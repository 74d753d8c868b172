"""Joint angles from 2D landmarks in the image plane (pure geometry).

Conventions (degrees, 0..180, anatomical zero):
- knee  flexion  = 180 - angle(hip, knee, ankle)        0 = straight leg
- hip   flexion  = 180 - angle(shoulder, hip, knee)     0 = thigh in line with the trunk
- elbow flexion  = 180 - angle(shoulder, elbow, wrist)  0 = straight arm
- shoulder elevation = angle(hip, shoulder, elbow)      0 = arm by the side, 90 = level
The angles are unsigned (a hip extended backwards also reads positive): the kiosk asks for
the camera side-on to the moving limb, where the image-plane angle is the true one; off
that plane it is foreshortened (cos of the tilt), which is why set-up checks side-on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from sensors.camera.errors import CameraError
from sensors.camera.landmarks import Landmark as L
from sensors.camera.landmarks import PoseFrame

MIN_VISIBILITY = 0.5  # MediaPipe's own default threshold for drawing a landmark
MIN_SEGMENT_PX = 4.0  # a limb shorter than this in the image gives no usable angle


class CameraJoint(StrEnum):
    """Joint and side as typed on the command line (``--joint knee_right``)."""

    KNEE_LEFT = "knee_left"
    KNEE_RIGHT = "knee_right"
    HIP_LEFT = "hip_left"
    HIP_RIGHT = "hip_right"
    ELBOW_LEFT = "elbow_left"
    ELBOW_RIGHT = "elbow_right"
    SHOULDER_LEFT = "shoulder_left"
    SHOULDER_RIGHT = "shoulder_right"

    @classmethod
    def parse(cls, text: str) -> CameraJoint:
        try:
            return cls(text.strip().lower().replace("-", "_"))
        except ValueError:
            known = ", ".join(j.value for j in cls)
            raise CameraError(f"unknown joint {text!r}; known: {known}") from None

    @classmethod
    def of(cls, joint: str, side: str) -> CameraJoint:
        """From a catalogue joint ('knee') and a plan side ('right')."""
        return cls.parse(f"{joint}_{side}")


@dataclass(frozen=True, slots=True)
class JointSpec:
    """Three landmarks a-b-c; the angle is at b. ``flexion``: 180 minus the interior angle."""

    a: L
    b: L
    c: L
    flexion: bool

    @property
    def landmarks(self) -> tuple[L, L, L]:
        return (self.a, self.b, self.c)


JOINTS: dict[CameraJoint, JointSpec] = {
    CameraJoint.KNEE_LEFT: JointSpec(L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE, True),
    CameraJoint.KNEE_RIGHT: JointSpec(L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE, True),
    CameraJoint.HIP_LEFT: JointSpec(L.LEFT_SHOULDER, L.LEFT_HIP, L.LEFT_KNEE, True),
    CameraJoint.HIP_RIGHT: JointSpec(L.RIGHT_SHOULDER, L.RIGHT_HIP, L.RIGHT_KNEE, True),
    CameraJoint.ELBOW_LEFT: JointSpec(L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST, True),
    CameraJoint.ELBOW_RIGHT: JointSpec(L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST, True),
    CameraJoint.SHOULDER_LEFT: JointSpec(L.LEFT_HIP, L.LEFT_SHOULDER, L.LEFT_ELBOW, False),
    CameraJoint.SHOULDER_RIGHT: JointSpec(L.RIGHT_HIP, L.RIGHT_SHOULDER, L.RIGHT_ELBOW, False),
}

def interior_angle_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """Angle a-b-c at ``b`` in degrees (0..180) of 2D points; NaN if a segment is tiny."""
    u = np.asarray(a, float) - np.asarray(b, float)
    v = np.asarray(c, float) - np.asarray(b, float)
    nu, nv = float(np.hypot(*u)), float(np.hypot(*v))
    if nu < MIN_SEGMENT_PX or nv < MIN_SEGMENT_PX:
        return float("nan")
    # atan2 of cross and dot: accurate near 0 and 180 where acos is not.
    cross = float(u[0] * v[1] - u[1] * v[0])
    dot = float(u @ v)
    return float(np.degrees(np.arctan2(abs(cross), dot)))


def joint_angle_deg(frame: PoseFrame, joint: CameraJoint,
                    min_visibility: float = MIN_VISIBILITY) -> float:
    """The joint's angle in this frame, or NaN when one of its landmarks is not visible."""
    spec = JOINTS[joint]
    if not all(frame.visible(lm, min_visibility) for lm in spec.landmarks):
        return float("nan")
    inner = interior_angle_deg(frame.point(spec.a), frame.point(spec.b), frame.point(spec.c))
    return 180.0 - inner if spec.flexion else inner
