"""The measuring values of one set from the catalogue exercise and its plan entry. Pure.

The catalogue says how the exercise is measured (``lifts``: which way is up); the plan entry
says what the therapist prescribed (ROM, hold, tempo, side, sensors). One function joins
them, so the kiosk, ``rehab session`` and ``rehab replay`` judge a set by the same numbers.
"""

from __future__ import annotations

from motion.params import SetParams
from therapy.catalogue import Exercise
from therapy.errors import PlanError
from therapy.plan import PlanExercise


def set_params(exercise: Exercise, plan_item: PlanExercise | None = None, *,
               two_imu: bool | None = None) -> SetParams:
    """SetParams for ``exercise`` as prescribed by ``plan_item``.

    Without a plan entry (a replayed recording) only the catalogue's ``lifts`` is taken:
    the targets stay None and the set calibrates from its own reps, as no one prescribed
    them. The tempo is the prescribed up + down time. ``two_imu`` defaults to the plan
    entry's sensors; the session passes what is really streaming.
    """
    if plan_item is None:
        return SetParams(exercise_id=exercise.id, lifts=exercise.lifts, two_imu=bool(two_imu))
    if plan_item.exercise_id != exercise.id:
        raise PlanError(f"plan entry is for {plan_item.exercise_id!r}, not {exercise.id!r}",
                        "exercise_id")
    return SetParams(
        exercise_id=exercise.id,
        lifts=exercise.lifts,
        target_rom_deg=plan_item.target_rom_deg,
        target_hold_s=plan_item.hold_s,
        target_tempo_s=plan_item.up_s + plan_item.down_s,
        side=str(plan_item.side),
        two_imu=plan_item.two_imu if two_imu is None else two_imu,
    )


def plan_item_params(plan_item: PlanExercise, *, two_imu: bool | None = None) -> SetParams:
    """SetParams of a plan entry with its own catalogue exercise."""
    return set_params(plan_item.exercise, plan_item, two_imu=two_imu)
