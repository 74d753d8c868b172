"""The simulated limb's geometry for each catalogue exercise (keyed by exercise id).

World frame: x forward (anterior), y to the patient's left, z up. ``*_axis_long`` is the
direction the segment points from its proximal joint at rest; ``move_axis`` is the world
axis the segment turns about when the exercise angle grows (right-hand rule), so a positive
angle is the movement the patient is asked to make. ``proximal_move_axis`` is the axis the
proximal segment follows the movement about (coupling and sway, see :mod:`.kinematics`).
"""

from __future__ import annotations

from dataclasses import dataclass

Vec3 = tuple[float, float, float]

_Y_LEFT: Vec3 = (0.0, 1.0, 0.0)
_Y_RIGHT: Vec3 = (0.0, -1.0, 0.0)
_X_FWD: Vec3 = (1.0, 0.0, 0.0)
_DOWN: Vec3 = (0.0, 0.0, -1.0)
_UP: Vec3 = (0.0, 0.0, 1.0)


@dataclass(frozen=True, slots=True)
class LimbGeometry:
    distal_axis_long: Vec3 = _DOWN
    move_axis: Vec3 = _Y_LEFT
    distal_length_m: float = 0.4
    proximal_axis_long: Vec3 = _X_FWD
    proximal_length_m: float = 0.45
    proximal_move_axis: Vec3 = _Y_LEFT


GEOMETRY: dict[str, LimbGeometry] = {
    "knee_extension_seated": LimbGeometry(
        distal_axis_long=_DOWN,
        move_axis=_Y_RIGHT,  # shank swings forward and up
        distal_length_m=0.42,
        proximal_axis_long=_X_FWD,
        proximal_move_axis=_Y_RIGHT,
    ),
    # The shank pivots about the heel resting on the bed: from the heel it points back
    # towards the knee, and the knee rises as the heel slides in.
    "heel_slide": LimbGeometry(
        distal_axis_long=(-1.0, 0.0, 0.0),
        move_axis=_Y_LEFT,
        distal_length_m=0.42,
        proximal_axis_long=_X_FWD,
        proximal_move_axis=_Y_RIGHT,
    ),
    "straight_leg_raise": LimbGeometry(
        distal_axis_long=_X_FWD,
        move_axis=_Y_RIGHT,
        distal_length_m=0.45,
        proximal_axis_long=_X_FWD,
    ),
    "hip_abduction_side_lying": LimbGeometry(
        distal_axis_long=_X_FWD,
        move_axis=_Y_RIGHT,  # lying on the side: abduction lifts against gravity
        distal_length_m=0.45,
        proximal_axis_long=_X_FWD,
    ),
    "elbow_flexion": LimbGeometry(
        distal_axis_long=_DOWN,
        move_axis=_Y_RIGHT,
        distal_length_m=0.27,
        proximal_axis_long=_DOWN,
        proximal_length_m=0.3,
        proximal_move_axis=_Y_RIGHT,
    ),
    "shoulder_flexion_standing": LimbGeometry(
        distal_axis_long=_DOWN,
        move_axis=_Y_RIGHT,
        distal_length_m=0.3,
        proximal_axis_long=_UP,
    ),
    "shoulder_abduction_standing": LimbGeometry(
        distal_axis_long=_DOWN,
        move_axis=(-1.0, 0.0, 0.0),  # right arm out to the side
        distal_length_m=0.3,
        proximal_axis_long=_UP,
        # Patients compensate by leaning the trunk sideways: about the same axis.
        proximal_move_axis=(-1.0, 0.0, 0.0),
    ),
    "trunk_flexion_seated": LimbGeometry(
        distal_axis_long=_UP,
        move_axis=_Y_LEFT,  # top of the trunk moves forward
        distal_length_m=0.5,
        proximal_axis_long=_UP,
    ),
}
