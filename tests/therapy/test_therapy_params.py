"""One SetParams from the catalogue exercise and its plan entry (issue 11), built into the
real analyzer by motion.params.build_analyzer; the session passes it whole."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from tests.helpers.fake_motion import FakeAnalyzer, ListSource

import motion.pipeline
from motion.params import SetParams, build_analyzer
from therapy.catalogue import CATALOGUE
from therapy.errors import PlanError
from therapy.params import plan_item_params, set_params
from therapy.plan import Side, exercise_from_catalogue
from therapy.ports import FhirEncoder
from therapy.session import SessionController
from therapy.store import TherapyStore

TRUNK = "trunk_flexion_seated"


def trunk_item():  # type: ignore[no-untyped-def]
    return dataclasses.replace(exercise_from_catalogue(TRUNK, Side.NONE), target_rom_deg=25.0,
                               hold_s=4.0, up_s=2.5, down_s=2.0)


def test_plan_entry_gives_every_value() -> None:
    assert plan_item_params(trunk_item()) == SetParams(
        exercise_id=TRUNK, lifts=False, target_rom_deg=25.0, target_hold_s=4.0,
        target_tempo_s=4.5, side="none", two_imu=False)


def test_two_imu_follows_the_plan_unless_told() -> None:
    ex = CATALOGUE["elbow_flexion"]
    item = dataclasses.replace(exercise_from_catalogue(ex.id), sensors=(ex.distal, ex.proximal))
    assert plan_item_params(item).two_imu
    assert not plan_item_params(item, two_imu=False).two_imu


def test_without_a_plan_entry_only_the_catalogue_says_which_way_is_up() -> None:
    assert set_params(CATALOGUE[TRUNK]) == SetParams(exercise_id=TRUNK, lifts=False)


def test_plan_entry_of_another_exercise_is_refused() -> None:
    with pytest.raises(PlanError, match="plan entry is for 'trunk_flexion_seated'"):
        set_params(CATALOGUE["heel_slide"], trunk_item())


def test_build_analyzer_passes_every_value(monkeypatch: pytest.MonkeyPatch) -> None:
    real = build_analyzer(50.0, plan_item_params(trunk_item()))
    assert real.rate_hz == 50.0 and not real.two_imu
    seen: list[tuple[float, dict[str, object]]] = []
    monkeypatch.setattr(motion.pipeline, "SetAnalyzer", lambda r, **kw: seen.append((r, kw)))
    build_analyzer(50.0, plan_item_params(trunk_item()))
    assert seen == [(50.0, {"target_rom_deg": 25.0, "target_hold_s": 4.0, "target_tempo_s": 4.5,
                            "two_imu": False, "lifts": False})]


async def test_session_hands_the_factory_the_plan_values(tmp_path: Path) -> None:
    got: list[tuple[float, SetParams]] = []

    def factory(rate_hz: float, params: SetParams) -> FakeAnalyzer:
        got.append((rate_hz, params))
        return FakeAnalyzer(rate_hz, 25.0, 4.0, params.two_imu)

    ctl = SessionController(trunk_item(), sink=TherapyStore(tmp_path / "rehab.db"),
                            encoder=FhirEncoder("dev-1"), analyzer_factory=factory)
    await ctl.run_set(ListSource([100]))
    await ctl.run_set(ListSource([100]), ListSource([100]))  # a proximal source streams too
    assert got == [(100.0, plan_item_params(trunk_item())),
                   (100.0, plan_item_params(trunk_item(), two_imu=True))]


def test_motion_params_is_pure_and_light(modules_loaded_by) -> None:
    """motion stays the pure core: no I/O library, no therapy, and SetParams alone does not
    load the pipeline (the therapy package holds it without the motion core)."""
    banned = ("therapy", "sqlite3", "bleak", "serial", "kivy", "paho", "cv2", "imufusion")
    loaded = modules_loaded_by("motion.params")
    assert sorted(m for m in loaded
                  if m.split(".")[0] in banned or m == "motion.pipeline") == []
