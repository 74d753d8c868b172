"""The plan of the whole-day tests (by touch and through the flow): one exercise, two
sets, every day; and every_day_plan() for a test that needs its own exercise in the same
kind of plan. No Kivy here: the flow's tests import it."""

from __future__ import annotations

from typing import Any

REPS = 4


def every_day_plan(plan_id: str, version: int, exercise: dict[str, Any]) -> dict[str, Any]:
    """A plan (JSON-ready) of ``exercise`` once a day, every day, valid 2026-2099."""
    return {"plan_id": plan_id, "version": version, "valid_from": "2026-01-01T00:00:00Z",
            "valid_until": "2099-01-01T00:00:00Z",
            "schedule": {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                         "sessions_per_day": 1},
            "exercises": [exercise]}


PLAN = every_day_plan("p-day", 3, {
    "exercise_id": "knee_extension_seated", "side": "right", "sets": 2, "reps": REPS,
    "target_rom_deg": 65, "hold_s": 2, "rest_s": 30})
