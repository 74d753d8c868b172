"""The exercise catalogue: what each exercise is and how it is measured (pure data).

Plans (``therapy.plan``) refer to exercises by ``id``; the kiosk shows ``name`` and
``instructions`` (and speaks them); the simulator (``sensors.sim``) performs them with its
own limb geometry (``sensors.sim.geometry``, keyed by the same ids), and the demonstration
figure (``sensors.sim.figure``) is posed from the same kinematics. Ids are stable: a
clinic's plans name them, so an id is never renamed or reused (``tests/exercises`` pins
the list). The entries themselves live in :mod:`exercises.library_lower` (knee, hip,
ankle) and :mod:`exercises.library_upper` (shoulder, elbow, trunk).

Which way an exercise goes, for each way of measuring it:

- ``distal`` is the segment whose wearable measures the movement (the one that moves),
  ``proximal`` the reference segment a second wearable sits on to measure the joint angle
  (``placements``: one or both). For most exercises these are the anatomical distal and
  proximal segments; where the far end stays put (sit-to-stand: the feet on the floor)
  the moving segment is the one above. One wearable measures its segment's turn, which
  is the joint's angle only while the reference segment stays still: in a heel slide the
  thigh rises too and in a mini squat the shank tilts, so there one wearable reads less
  than the knee bends (about half and 0.6 of it); two wearables measure the knee.
- ``lifts``: the asked-for movement raises the measured segment against gravity (most
  exercises) or lowers it (a forward trunk bend, a squat); the motion core uses it to tell
  rest from the top of a rep whatever way round the sensor is worn.
- ``extends``: the movement straightens the joint, so its anatomical angle (0 = straight,
  as the camera measures it) falls, as in a seated knee extension; otherwise it grows
  (flexion, abduction, elevation). :attr:`Exercise.movement_sign` turns that angle into one
  where the asked-for movement is positive, as the rep detector wants.
- ``plane``: the body plane the movement lies in: a camera watches a sagittal movement
  side-on and a frontal one (abduction) facing the patient; a transverse one (turning
  about the long axis) no camera view shows.
- ``camera_view``: set only where a camera really measures the exercise's ``joint`` in its
  image plane (the camera's joint angle, seen from that side); None otherwise.
"""

from __future__ import annotations

from exercises.exercise import CAMERA_JOINTS, Exercise, Position
from exercises.library_lower import LOWER
from exercises.library_upper import UPPER

__all__ = ["CAMERA_JOINTS", "CATALOGUE", "Exercise", "Position", "get_exercise"]


def _build() -> dict[str, Exercise]:
    out: dict[str, Exercise] = {}
    for e in (*LOWER, *UPPER):
        if e.id in out:
            raise ValueError(f"exercise id {e.id!r} is defined twice")
        if e.camera_view is not None and e.joint not in CAMERA_JOINTS:
            raise ValueError(f"{e.id}: a camera cannot measure the {e.joint} joint")
        out[e.id] = e
    return out


CATALOGUE: dict[str, Exercise] = _build()


def get_exercise(exercise_id: str) -> Exercise:
    """The catalogue entry for ``exercise_id``; KeyError lists the known ids."""
    try:
        return CATALOGUE[exercise_id]
    except KeyError:
        known = ", ".join(sorted(CATALOGUE))
        raise KeyError(f"unknown exercise {exercise_id!r}; known: {known}") from None
