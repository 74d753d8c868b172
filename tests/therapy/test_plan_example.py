"""docs/examples/plan.json, the plan the docs show for ``rehab clinic plan push``, is a
valid plan of catalogue exercises (a doc example that no longer parses fails here)."""

from __future__ import annotations

from pathlib import Path

from therapy.catalogue import CATALOGUE
from therapy.plan import parse_plan_bytes

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "plan.json"


def test_the_documented_plan_example_parses() -> None:
    plan = parse_plan_bytes(EXAMPLE.read_bytes())
    assert plan.version == 1 and plan.schedule.times == ("10:00",)
    assert [e.exercise_id for e in plan.exercises] == [
        "knee_extension_seated", "heel_slide", "sit_to_stand"]
    assert all(e.exercise_id in CATALOGUE for e in plan.exercises)
    knee = plan.exercises[0]
    assert (knee.sets, knee.reps, knee.target_rom_deg, knee.hold_s) == (2, 10, 70.0, 3.0)
