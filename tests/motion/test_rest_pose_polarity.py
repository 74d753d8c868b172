"""Which way is up when nobody said (motion.angle.rest_lift_sign): a recording replayed
without its exercise. A segment that stands up from its pivot at rest (a trunk over the
hips, a thigh over the knee in a squat) is lowered by the movement; a hanging or lying one
is lifted. Before, every unnamed recording was taken as lifting: a trunk bend, mini squat
or side bend counted its rests between reps, 6 or 7 of 8."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bench.datasets import REAL_CHUNK, uci_recording
from exercises import CATALOGUE
from motion.angle import UPRIGHT_REST_DEG, rest_lift_sign
from motion.run import run_set
from rehab.cli import main
from sensors.replay import write_csv
from sensors.sim import SimConfig, simulate

REPS = 8
LOWERING = sorted(e.id for e in CATALOGUE.values() if not e.lifts)


def _count(exercise: str, seed: int, two: bool) -> tuple[int, np.ndarray, np.ndarray]:
    res = simulate(SimConfig(exercise_id=exercise, reps=REPS, seed=seed, two_segment=two))
    an = run_set(res.distal, res.config.rate_hz, proximal=res.proximal if two else None,
                 chunk_size=REAL_CHUNK, lifts=None)
    return (len(an.reps_), np.array([r.rom_deg for r in an.reps_]),
            np.array([r.rom_deg for r in res.truth.reps]))


def test_the_catalogue_has_lowering_exercises_to_judge_by() -> None:
    assert LOWERING == ["mini_squat", "trunk_flexion_seated", "trunk_side_bend_standing"]


@pytest.mark.parametrize("exercise", sorted(CATALOGUE))
def test_every_exercise_counts_exactly_without_being_named(exercise: str) -> None:
    for two in ((False, True) if CATALOGUE[exercise].second_sensor else (False,)):
        n, got, truth = _count(exercise, seed=3, two=two)
        assert n == REPS, (exercise, two, got)
        assert np.abs(got - truth).max() < (4.0 if two else 2.0), (got, truth)


def test_replaying_a_trunk_bend_without_exercise_counts_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    res = simulate(SimConfig(exercise_id="trunk_flexion_seated", reps=REPS, seed=1))
    write_csv(tmp_path / "trunk.csv", res.distal)
    assert main(["replay", str(tmp_path / "trunk.csv"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["count"] == REPS
    truth = [r.rom_deg for r in res.truth.reps]
    assert np.allclose([r["rom_deg"] for r in summary["reps"]], truth, atol=2.0)


@pytest.mark.parametrize("subject", ["s1", "s2"])
def test_uci_trunk_bend_counts_without_its_folder_saying_it_lowers(
        shared_data: Path, subject: str) -> None:
    rec = uci_recording(shared_data / "uci-pt" / subject / "e2")
    an = run_set(rec.chunk, rec.rate_hz, chunk_size=REAL_CHUNK, lifts=None)
    assert len(an.reps_) == 30


def test_rest_elevation_decides() -> None:
    up = np.array([0.0, 0.0, 1.0])
    lean = np.radians(UPRIGHT_REST_DEG)
    above = np.array([np.cos(lean + 0.1), 0.0, np.sin(lean + 0.1)]) * 0.3
    below = np.array([np.cos(lean - 0.1), 0.0, np.sin(lean - 0.1)]) * 0.3
    assert rest_lift_sign(above, up) == -1
    assert rest_lift_sign(below, up) == 1
    assert rest_lift_sign(np.array([0.0, 0.0, -0.3]), up) == 1  # hanging
    assert rest_lift_sign(np.zeros(3), up) == 1  # no lever: as before, lifting
    assert rest_lift_sign(above, None) == 1
