"""The kiosk and ``rehab replay`` build their analyzer from the same values (issue 11):
a forward trunk bend with a prescribed tempo reaches SetAnalyzer as lifts=False and that
tempo on both paths, through motion.params.build_analyzer."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

import motion.pipeline
from kiosk.adapters.sources import SimSourceFactory
from kiosk.model import KioskModel
from rehab.cli import main
from sensors.replay import write_csv
from sensors.sim import SimConfig, simulate
from therapy.plan import Side, exercise_from_catalogue

EXERCISE = "trunk_flexion_seated"
ROM_DEG, HOLD_S, UP_S, DOWN_S = 25.0, 4.0, 2.5, 2.0


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, dict[str, Any]]]:
    """(rate_hz, keywords) of every SetAnalyzer built, the real one doing the work."""
    made: list[tuple[float, dict[str, Any]]] = []

    class Spy(motion.pipeline.SetAnalyzer):
        def __init__(self, rate_hz: float, **kw: Any) -> None:
            made.append((rate_hz, kw))
            super().__init__(rate_hz, **kw)

    monkeypatch.setattr(motion.pipeline, "SetAnalyzer", Spy)
    return made


@pytest.mark.timeout(60)
async def test_kiosk_and_replay_build_the_same_analyzer(
    tmp_path: Path, built: list, capsys: pytest.CaptureFixture[str]
) -> None:
    assert motion.pipeline.SetAnalyzer.__name__ == "Spy"
    ex = dataclasses.replace(exercise_from_catalogue(EXERCISE, Side.NONE), sets=1, reps=2,
                             target_rom_deg=ROM_DEG, hold_s=HOLD_S, up_s=UP_S, down_s=DOWN_S)
    m = KioskModel(tmp_path / "data", sources=SimSourceFactory(speed=60.0))
    run = m.start_exercise(ex)
    run.start_set()
    assert run.task is not None
    await run.task
    assert len(built) == 1
    kiosk = built.pop()

    res = simulate(SimConfig(exercise_id=EXERCISE, reps=2, rate_hz=100.0, seed=1))
    path = write_csv(tmp_path / "trunk.csv", res.distal)
    assert main(["replay", str(path), "--exercise", EXERCISE, "--json",
                 "--target-rom-deg", str(ROM_DEG), "--hold-s", str(HOLD_S),
                 "--tempo-s", str(UP_S + DOWN_S)]) == 0
    assert json.loads(capsys.readouterr().out)["warnings"] == []
    assert len(built) == 1
    replay = built.pop()

    expected = {"target_rom_deg": ROM_DEG, "target_hold_s": HOLD_S,
                "target_tempo_s": UP_S + DOWN_S, "two_imu": False, "lifts": False}
    assert kiosk[1] == replay[1] == expected
    assert kiosk[0] == pytest.approx(replay[0]) == 100.0
