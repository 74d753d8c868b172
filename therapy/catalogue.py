"""The exercise catalogue: what each exercise is, how it is measured and how to simulate it.

Pure data. Plans (``therapy.plan``) refer to exercises by ``id``; the simulator
(``sensors.sim``) uses the geometry fields; the kiosk shows ``name`` and ``instructions``.

World frame for the geometry: x forward (anterior), y to the patient's left, z up.
``*_axis_long`` is the direction the segment points from its proximal joint at rest;
``move_axis`` is the world axis the segment turns about when the exercise angle grows
(right-hand rule), so a positive angle is the movement the patient is asked to make.
``lifts`` says whether that movement raises the measured segment against gravity (most
exercises) or lowers it (a forward trunk bend); the motion core uses it to tell rest from
the top of a rep whatever way round the sensor is worn.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sensors.types import BodySegment

Vec3 = tuple[float, float, float]


class Joint(StrEnum):
    KNEE = "knee"
    HIP = "hip"
    ELBOW = "elbow"
    SHOULDER = "shoulder"
    TRUNK = "trunk"


@dataclass(frozen=True, slots=True)
class Exercise:
    id: str
    name: str
    instructions: str
    joint: Joint
    distal: BodySegment
    proximal: BodySegment
    target_rom_deg: float
    hold_s: float
    up_s: float
    down_s: float
    rest_s: float
    reps: int = 10
    sets: int = 2
    lifts: bool = True
    # Simulation geometry (world frame, see module doc).
    distal_axis_long: Vec3 = (0.0, 0.0, -1.0)
    move_axis: Vec3 = (0.0, 1.0, 0.0)
    distal_length_m: float = 0.4
    proximal_axis_long: Vec3 = (1.0, 0.0, 0.0)
    proximal_length_m: float = 0.45
    proximal_move_axis: Vec3 = (0.0, 1.0, 0.0)


_Y_LEFT: Vec3 = (0.0, 1.0, 0.0)
_X_FWD: Vec3 = (1.0, 0.0, 0.0)
_DOWN: Vec3 = (0.0, 0.0, -1.0)
_UP: Vec3 = (0.0, 0.0, 1.0)

CATALOGUE: dict[str, Exercise] = {
    e.id: e
    for e in (
        Exercise(
            id="knee_extension_seated",
            name="Seated knee extension",
            instructions=(
                "Sit tall on a firm chair. Slowly straighten your knee until the leg is "
                "level, hold, then lower it slowly."
            ),
            joint=Joint.KNEE,
            distal=BodySegment.SHANK,
            proximal=BodySegment.THIGH,
            target_rom_deg=70.0,
            hold_s=3.0,
            up_s=1.5,
            down_s=1.5,
            rest_s=1.5,
            distal_axis_long=_DOWN,
            move_axis=(0.0, -1.0, 0.0),  # shank swings forward and up
            distal_length_m=0.42,
            proximal_axis_long=_X_FWD,
            proximal_move_axis=(0.0, -1.0, 0.0),
        ),
        Exercise(
            id="heel_slide",
            name="Heel slide",
            instructions=(
                "Lie on your back. Slide your heel towards your buttock, bending the knee "
                "as far as is comfortable, hold, then slide it back."
            ),
            joint=Joint.KNEE,
            distal=BodySegment.SHANK,
            proximal=BodySegment.THIGH,
            target_rom_deg=90.0,
            hold_s=2.0,
            up_s=2.0,
            down_s=2.0,
            rest_s=1.5,
            # The shank pivots about the heel resting on the bed: from the heel it points
            # back towards the knee, and the knee rises as the heel slides in.
            distal_axis_long=(-1.0, 0.0, 0.0),
            move_axis=_Y_LEFT,
            distal_length_m=0.42,
            proximal_axis_long=_X_FWD,
            proximal_move_axis=(0.0, -1.0, 0.0),
        ),
        Exercise(
            id="straight_leg_raise",
            name="Straight-leg raise",
            instructions=(
                "Lie on your back, other knee bent. Keep the knee straight and lift the leg "
                "to the height of the other knee, hold, then lower slowly."
            ),
            joint=Joint.HIP,
            distal=BodySegment.THIGH,
            proximal=BodySegment.PELVIS,
            target_rom_deg=45.0,
            hold_s=5.0,
            up_s=2.0,
            down_s=2.0,
            rest_s=2.0,
            distal_axis_long=_X_FWD,
            move_axis=(0.0, -1.0, 0.0),
            distal_length_m=0.45,
            proximal_axis_long=_X_FWD,
        ),
        Exercise(
            id="hip_abduction_side_lying",
            name="Side-lying hip abduction",
            instructions=(
                "Lie on your side, bottom knee bent. Lift the top leg straight up towards "
                "the ceiling, hold, then lower slowly."
            ),
            joint=Joint.HIP,
            distal=BodySegment.THIGH,
            proximal=BodySegment.PELVIS,
            target_rom_deg=35.0,
            hold_s=3.0,
            up_s=1.5,
            down_s=1.5,
            rest_s=1.5,
            distal_axis_long=_X_FWD,
            move_axis=(0.0, -1.0, 0.0),  # lying on the side: abduction lifts against gravity
            distal_length_m=0.45,
            proximal_axis_long=_X_FWD,
        ),
        Exercise(
            id="elbow_flexion",
            name="Elbow curl",
            instructions=(
                "Sit with the upper arm by your side. Bend the elbow to bring the hand up, "
                "hold, then lower slowly."
            ),
            joint=Joint.ELBOW,
            distal=BodySegment.FOREARM,
            proximal=BodySegment.UPPER_ARM,
            target_rom_deg=110.0,
            hold_s=2.0,
            up_s=1.5,
            down_s=1.5,
            rest_s=1.5,
            distal_axis_long=_DOWN,
            move_axis=(0.0, -1.0, 0.0),
            distal_length_m=0.27,
            proximal_axis_long=_DOWN,
            proximal_length_m=0.3,
            proximal_move_axis=(0.0, -1.0, 0.0),
        ),
        Exercise(
            id="shoulder_flexion_standing",
            name="Standing shoulder flexion",
            instructions=(
                "Stand tall. Raise the straight arm forwards and up as far as is "
                "comfortable, hold, then lower slowly."
            ),
            joint=Joint.SHOULDER,
            distal=BodySegment.UPPER_ARM,
            proximal=BodySegment.TRUNK,
            target_rom_deg=120.0,
            hold_s=2.0,
            up_s=2.0,
            down_s=2.0,
            rest_s=2.0,
            distal_axis_long=_DOWN,
            move_axis=(0.0, -1.0, 0.0),
            distal_length_m=0.3,
            proximal_axis_long=_UP,
        ),
        Exercise(
            id="shoulder_abduction_standing",
            name="Standing shoulder abduction",
            instructions=(
                "Stand tall. Raise the straight arm out to the side up to shoulder height, "
                "hold, then lower slowly."
            ),
            joint=Joint.SHOULDER,
            distal=BodySegment.UPPER_ARM,
            proximal=BodySegment.TRUNK,
            target_rom_deg=90.0,
            hold_s=3.0,
            up_s=2.0,
            down_s=2.0,
            rest_s=2.0,
            distal_axis_long=_DOWN,
            move_axis=(-1.0, 0.0, 0.0),  # right arm out to the side
            distal_length_m=0.3,
            proximal_axis_long=_UP,
            # Patients compensate by leaning the trunk sideways: about the same axis.
            proximal_move_axis=(-1.0, 0.0, 0.0),
        ),
        Exercise(
            id="trunk_flexion_seated",
            name="Seated trunk bend",
            instructions=(
                "Sit on a stool, arms hanging. Bend the upper body forwards about 30 "
                "degrees, hold, then sit up tall again."
            ),
            joint=Joint.TRUNK,
            distal=BodySegment.TRUNK,
            proximal=BodySegment.PELVIS,
            target_rom_deg=30.0,
            hold_s=5.0,
            up_s=2.0,
            down_s=2.0,
            rest_s=2.0,
            distal_axis_long=_UP,
            move_axis=_Y_LEFT,  # top of the trunk moves forward
            distal_length_m=0.5,
            lifts=False,
            proximal_axis_long=_UP,
        ),
    )
}


def get_exercise(exercise_id: str) -> Exercise:
    """The catalogue entry for ``exercise_id``; KeyError lists the known ids."""
    try:
        return CATALOGUE[exercise_id]
    except KeyError:
        known = ", ".join(sorted(CATALOGUE))
        raise KeyError(f"unknown exercise {exercise_id!r}; known: {known}") from None
