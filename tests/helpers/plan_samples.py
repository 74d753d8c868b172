"""A valid plan for the tests (as JSON-ready dict)."""

from __future__ import annotations

from typing import Any


def valid_plan(version: int = 1, valid_from: str = "2026-01-01T00:00:00Z",
               valid_until: str = "2099-01-01T00:00:00Z") -> dict[str, Any]:
    return {
        "plan_id": "p-17",
        "version": version,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "schedule": {"days": ["mon", "wed", "fri"], "sessions_per_day": 1},
        "exercises": [
            {"exercise_id": "knee_extension_seated", "side": "right", "sets": 2, "reps": 8,
             "target_rom_deg": 65, "hold_s": 2, "up_s": 1.5, "down_s": 1.5, "rest_s": 60},
            {"exercise_id": "heel_slide", "side": "left"},
        ],
    }
