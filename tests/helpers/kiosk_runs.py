"""Kiosk model tests' common start: the plan's first exercise as one set, pain given, the
set started."""

from __future__ import annotations

import dataclasses
from typing import Any


def start_one_set(m: Any, reps: int, pain_before: int = 1) -> Any:
    """``m`` (a KioskModel)'s first planned exercise as one set of ``reps``, the pain
    before chosen and confirmed, the set started; its run (``run.task`` is the set)."""
    ex = dataclasses.replace(m.plan()[0].exercises[0], sets=1, reps=reps)
    run = m.start_exercise(ex)
    run.pain_before.choose(pain_before)
    assert run.confirm_pain_before()
    run.start_set()
    assert run.task is not None
    return run
