"""Starting one set of a catalogue exercise straight through the kiosk's flow (start, pain
before, begin the set), for tests whose subject comes after (the steps before a set have
their own touch tests). Kivy-free: usable with the Kivy-free flow and the running app."""

from __future__ import annotations

import dataclasses
from typing import Any

from therapy.plan import PlanExercise, Side, exercise_from_catalogue


def begin_one_set(flow: Any, exercise_id: str, reps: int, side: Side = Side.RIGHT,
                  pain: int = 1) -> PlanExercise:
    """Start ``exercise_id`` as one set of ``reps`` reps, answer pain before with ``pain``,
    begin the set; returns the exercise as started."""
    ex = dataclasses.replace(exercise_from_catalogue(exercise_id, side), sets=1, reps=reps)
    flow.start_exercise(ex)
    flow.pain_vm.choose(pain)
    flow.pain_done()
    flow.begin_set()
    return ex
