"""Is the patient ready for a camera exercise? Fully in frame, and side-on (pure).

Angles are measured in the image plane, so the moving limb must lie in it: side-on for
flexion/extension exercises, facing the camera for abduction (the arm or leg then moves
across the image). From 2D landmarks only (z is unreliable): the left-right separation of
shoulders and hips, relative to the trunk length, is small side-on and large face-on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from sensors.camera.angles import JOINTS, MIN_VISIBILITY, CameraJoint
from sensors.camera.landmarks import Landmark as L
from sensors.camera.landmarks import PoseFrame

SIDE_ON_MAX_RATIO = 0.3  # side-on: shoulder/hip spread < 0.3 trunk (a 3/4 view is ~0.45)
FACING_MIN_RATIO = 0.5  # face-on it is ~0.6-1
EDGE_MARGIN_FRAC = 0.02  # a landmark this close to the border may be cut off
MIN_BODY_FRAC = 0.15  # trunk under this share of the image height (body under ~half): too far


class View(StrEnum):
    """How the camera must see the patient; the caller picks it for the exercise (a
    movement in the sagittal plane side-on, one in the frontal plane facing)."""

    SIDE_ON = "side_on"
    FACING = "facing"


# A camera looks across the plane of the movement (the catalogue's ``Exercise.plane``).
VIEW_OF_PLANE = {"sagittal": View.SIDE_ON, "frontal": View.FACING}


def view_of_plane(plane: str) -> View:
    """How the camera must see a movement in ``plane``: side-on when it has no camera
    view (a transverse movement, turning about the long axis)."""
    return VIEW_OF_PLANE.get(str(plane), View.SIDE_ON)


class FramingProblem(StrEnum):
    """Values reach the UI's messages: never rename them."""

    NO_PERSON = "no_person"
    NOT_IN_FRAME = "not_fully_in_frame"
    NOT_SIDE_ON = "not_side_on"
    NOT_FACING = "not_facing"
    TOO_FAR = "too_far"


@dataclass(frozen=True, slots=True)
class FramingCheck:
    problems: tuple[FramingProblem, ...]
    spread_ratio: float  # shoulder/hip left-right spread over trunk length (NaN: unknown)
    missing: tuple[L, ...]  # landmarks not seen or at the border

    @property
    def ok(self) -> bool:
        return not self.problems


def required_landmarks(joint: CameraJoint) -> tuple[L, ...]:
    """The joint's own three points, the trunk on its side, and the head."""
    spec = JOINTS[joint]
    right = "RIGHT" in joint.name
    trunk = (L.RIGHT_SHOULDER, L.RIGHT_HIP) if right else (L.LEFT_SHOULDER, L.LEFT_HIP)
    seen: dict[L, None] = dict.fromkeys((L.NOSE, *trunk, *spec.landmarks))
    return tuple(seen)


def check_framing(frame: PoseFrame | None, joint: CameraJoint, view: View = View.SIDE_ON, *,
                  min_visibility: float = MIN_VISIBILITY) -> FramingCheck:
    if frame is None:
        return FramingCheck((FramingProblem.NO_PERSON,), float("nan"), ())
    problems: list[FramingProblem] = []
    mx, my = EDGE_MARGIN_FRAC * frame.width, EDGE_MARGIN_FRAC * frame.height
    missing = []
    for lm in required_landmarks(joint):
        x, y = frame.point(lm)
        inside = mx <= x <= frame.width - mx and my <= y <= frame.height - my
        if not (inside and frame.visible(lm, min_visibility)):
            missing.append(lm)
    if missing:
        problems.append(FramingProblem.NOT_IN_FRAME)
    ratio = spread_ratio(frame)
    if view is View.FACING and not np.isfinite(ratio):
        problems.append(FramingProblem.NOT_FACING)  # facing, both sides are seen
    if np.isfinite(ratio):
        if view is View.SIDE_ON and ratio > SIDE_ON_MAX_RATIO:
            problems.append(FramingProblem.NOT_SIDE_ON)
        if view is View.FACING and ratio < FACING_MIN_RATIO:
            problems.append(FramingProblem.NOT_FACING)
        if _trunk_px(frame) < MIN_BODY_FRAC * frame.height:
            problems.append(FramingProblem.TOO_FAR)
    return FramingCheck(tuple(problems), ratio, tuple(missing))


def _trunk_px(frame: PoseFrame) -> float:
    sh = (frame.point(L.LEFT_SHOULDER) + frame.point(L.RIGHT_SHOULDER)) / 2
    hp = (frame.point(L.LEFT_HIP) + frame.point(L.RIGHT_HIP)) / 2
    return float(np.hypot(*(sh - hp)))


def spread_ratio(frame: PoseFrame) -> float:
    """Mean left-right distance of shoulders and hips over the trunk length; NaN when
    the trunk is not seen (both shoulders and both hips are needed)."""
    pts = (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP)
    if not all(frame.visible(p, 0.3) for p in pts):
        return float("nan")  # side-on, the far side is often guessed with low visibility
    trunk = _trunk_px(frame)
    if trunk < 1.0:
        return float("nan")
    spread = (np.hypot(*(frame.point(L.LEFT_SHOULDER) - frame.point(L.RIGHT_SHOULDER)))
              + np.hypot(*(frame.point(L.LEFT_HIP) - frame.point(L.RIGHT_HIP)))) / 2
    return float(spread / trunk)
