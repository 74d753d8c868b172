"""The plan of the whole-day tests (by touch and through the flow): one exercise, two
sets, every day. No Kivy here: the flow's tests import it."""

from __future__ import annotations

REPS = 4
PLAN = {"plan_id": "p-day", "version": 3, "valid_from": "2026-01-01T00:00:00Z",
        "valid_until": "2099-01-01T00:00:00Z",
        "schedule": {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                     "sessions_per_day": 1},
        "exercises": [{"exercise_id": "knee_extension_seated", "side": "right", "sets": 2,
                       "reps": REPS, "target_rom_deg": 65, "hold_s": 2, "rest_s": 30}]}
