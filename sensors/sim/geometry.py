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
_X_BACK: Vec3 = (-1.0, 0.0, 0.0)


def _unit(x: float, y: float, z: float) -> Vec3:
    n = (x * x + y * y + z * z) ** 0.5
    return (x / n, y / n, z / n)


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
    # Standing up from a chair: the thigh turns about the knee (feet on the floor), from
    # pointing back to the hip to pointing up; the shank below leans the knee forward.
    "sit_to_stand": LimbGeometry(
        distal_axis_long=_X_BACK,
        move_axis=_Y_LEFT,
        distal_length_m=0.45,
        proximal_axis_long=_UP,
        proximal_move_axis=_Y_LEFT,
    ),
    # Squatting: the thigh (knee -> hip) tips back as the hips go down and back.
    "mini_squat": LimbGeometry(
        distal_axis_long=_UP,
        move_axis=_Y_RIGHT,
        distal_length_m=0.45,
        proximal_axis_long=_UP,
        proximal_move_axis=_Y_LEFT,
    ),
    # Lying, knee on a roll: the shank starts 30° below level and rises to level.
    "terminal_knee_extension": LimbGeometry(
        distal_axis_long=_unit(0.866, 0.0, -0.5),
        move_axis=_Y_RIGHT,
        distal_length_m=0.42,
        proximal_axis_long=_X_FWD,
        proximal_move_axis=_Y_RIGHT,
    ),
    "hamstring_curl_standing": LimbGeometry(
        distal_axis_long=_DOWN,
        move_axis=_Y_LEFT,  # the heel goes back and up
        distal_length_m=0.42,
        proximal_axis_long=_DOWN,
        proximal_move_axis=_Y_RIGHT,  # the thigh drifts forward
    ),
    "hip_flexion_standing": LimbGeometry(
        distal_axis_long=_DOWN,
        move_axis=_Y_RIGHT,  # the knee comes forward and up
        distal_length_m=0.45,
        proximal_axis_long=_DOWN,
        proximal_length_m=0.15,
        proximal_move_axis=_Y_RIGHT,  # the pelvis tucks under
    ),
    # Lying face down, head forward (+x): the leg points back and lifts.
    "hip_extension_prone": LimbGeometry(
        distal_axis_long=_X_BACK,
        move_axis=_Y_LEFT,
        distal_length_m=0.45,
        proximal_axis_long=_X_BACK,
        proximal_length_m=0.15,
        proximal_move_axis=_Y_LEFT,
    ),
    # Side-lying, hips bent 45°: the top thigh turns about the line from hip to feet
    # (level), lifting the knee.
    "clamshell": LimbGeometry(
        distal_axis_long=_unit(1.0, 1.0, 0.0),
        move_axis=_X_FWD,
        distal_length_m=0.45,
        proximal_axis_long=_X_BACK,
        proximal_length_m=0.15,
        proximal_move_axis=_X_FWD,
    ),
    # Lying, knees bent: the thigh (knee -> hip) turns about the knee as the hips lift.
    "bridge": LimbGeometry(
        distal_axis_long=_unit(-0.743, 0.0, -0.669),
        move_axis=_Y_LEFT,
        distal_length_m=0.45,
        proximal_axis_long=_unit(0.6, 0.0, 0.8),
        proximal_move_axis=_Y_LEFT,
    ),
    "ankle_dorsiflexion_seated": LimbGeometry(
        distal_axis_long=_X_FWD,
        move_axis=_Y_RIGHT,  # the front of the foot rises, heel down
        distal_length_m=0.2,
        proximal_axis_long=_DOWN,
        proximal_length_m=0.42,
        proximal_move_axis=_Y_RIGHT,
    ),
    # Rising onto the toes: the foot (toes -> heel) turns about the toes.
    "heel_raise_standing": LimbGeometry(
        distal_axis_long=_X_BACK,
        move_axis=_Y_LEFT,
        distal_length_m=0.2,
        proximal_axis_long=_UP,
        proximal_length_m=0.42,
        proximal_move_axis=_Y_LEFT,
    ),
    # The right arm raised in the scapular plane, 30° forward of straight out to the side.
    "scaption": LimbGeometry(
        distal_axis_long=_DOWN,
        move_axis=_unit(-0.866, -0.5, 0.0),
        distal_length_m=0.3,
        proximal_axis_long=_UP,
        proximal_move_axis=(-1.0, 0.0, 0.0),
    ),
    "shoulder_extension_standing": LimbGeometry(
        distal_axis_long=_DOWN,
        move_axis=_Y_LEFT,  # the arm goes back
        distal_length_m=0.3,
        proximal_axis_long=_UP,
        proximal_move_axis=_Y_LEFT,  # the trunk leans forward
    ),
    # Elbow at the side bent 90°, forearm forward: the right hand turns out about the
    # vertical (no tilt to see: one wearable measures it with the gyro).
    "shoulder_external_rotation": LimbGeometry(
        distal_axis_long=_X_FWD,
        move_axis=_DOWN,
        distal_length_m=0.27,
        proximal_axis_long=_DOWN,
        proximal_length_m=0.3,
        proximal_move_axis=_DOWN,
    ),
    # Upper arm up beside the head, forearm hanging behind it (elbow bent ~150°):
    # straightening swings the hand back and up.
    "elbow_extension_overhead": LimbGeometry(
        distal_axis_long=_unit(-0.5, 0.0, -0.866),
        move_axis=_Y_LEFT,
        distal_length_m=0.27,
        proximal_axis_long=_UP,
        proximal_length_m=0.3,
        proximal_move_axis=_Y_LEFT,
    ),
    "trunk_rotation_seated": LimbGeometry(
        distal_axis_long=_UP,
        move_axis=_UP,  # turning to the left about the vertical
        distal_length_m=0.5,
        proximal_axis_long=_UP,
        proximal_length_m=0.15,
        proximal_move_axis=_UP,
    ),
    "trunk_side_bend_standing": LimbGeometry(
        distal_axis_long=_UP,
        move_axis=_X_FWD,  # the top of the trunk goes to the right
        distal_length_m=0.5,
        proximal_axis_long=_UP,
        proximal_length_m=0.15,
        proximal_move_axis=_X_FWD,
    ),
}
