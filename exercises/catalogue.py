"""The exercise catalogue: what each exercise is and how it is measured (pure data).

Plans (``therapy.plan``) refer to exercises by ``id``; the kiosk shows ``name`` and
``instructions``; the simulator (``sensors.sim``) performs them with its own limb geometry
(``sensors.sim.geometry``, keyed by the same ids).

Which way an exercise goes, for each way of measuring it:

- ``lifts``: the asked-for movement raises the measured segment against gravity (most
  exercises) or lowers it (a forward trunk bend); the motion core uses it to tell rest from
  the top of a rep whatever way round the sensor is worn.
- ``extends``: the movement straightens the joint, so its anatomical angle (0 = straight,
  as the camera measures it) falls, as in a seated knee extension; otherwise it grows
  (flexion, abduction, elevation). :attr:`Exercise.movement_sign` turns that angle into one
  where the asked-for movement is positive, as the rep detector wants.
- ``plane``: the body plane the movement lies in: a camera watches a sagittal movement
  side-on and a frontal one (abduction) facing the patient.
"""

from __future__ import annotations

from dataclasses import dataclass

from exercises.body import BodySegment, Joint, Plane


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
    extends: bool = False
    plane: Plane = Plane.SAGITTAL

    @property
    def movement_sign(self) -> float:
        """+1 or -1: multiply the joint's anatomical angle by this to make the asked-for
        movement positive."""
        return -1.0 if self.extends else 1.0


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
            extends=True,  # from ~90° of knee flexion towards a straight leg
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
            plane=Plane.FRONTAL,
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
            plane=Plane.FRONTAL,
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
            lifts=False,
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
