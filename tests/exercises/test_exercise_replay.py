"""Every catalogue exercise simulates, replays through ``rehab replay`` and counts exactly.

Each exercise is simulated (8 reps, two seeds; with both wearables too where it has two
placements), written as the project CSV and replayed in-process through the command's own
path (loading, ``--exercise`` -> therapy.params.set_params -> motion.params.build_analyzer),
as the kiosk measures it. The count must be exact and every rep's ROM within a few degrees
of what the simulated patient did.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from exercises import CATALOGUE
from rehab.cli import main
from sensors.replay import write_csv
from sensors.sim import SimConfig, simulate

REPS = 8
SEEDS = (1, 2)
MAX_ROM_ERR_DEG = {1: 2.0, 2: 4.0}  # one wearable / two (the joint angle: two fusions)

CASES = [
    pytest.param(ex, n_imu, seed, id=f"{ex}-{n_imu}imu-s{seed}")
    for ex, e in sorted(CATALOGUE.items())
    for n_imu in ((1, 2) if e.second_sensor else (1,))
    for seed in SEEDS
]


def replay_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("exercise,n_imu,seed", CASES)
def test_every_exercise_simulates_replays_and_counts_exactly(
    exercise: str, n_imu: int, seed: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    res = simulate(SimConfig(exercise_id=exercise, reps=REPS, seed=seed,
                             two_segment=n_imu == 2))
    distal = tmp_path / "distal.csv"
    write_csv(distal, res.distal)
    argv = ["replay", str(distal), "--exercise", exercise, "--json"]
    if res.proximal is not None:
        write_csv(tmp_path / "proximal.csv", res.proximal)
        argv += ["--proximal", str(tmp_path / "proximal.csv")]
    summary = replay_json(capsys, argv)
    assert summary["count"] == REPS
    got = np.array([r["rom_deg"] for r in summary["reps"]])
    truth = np.array([r.rom_deg for r in res.truth.reps])
    assert np.abs(got - truth).max() < MAX_ROM_ERR_DEG[n_imu], (got, truth)


def test_the_cases_cover_every_exercise_and_both_wearables_where_placed() -> None:
    assert {c.values[0] for c in CASES} == set(CATALOGUE)
    two = {c.values[0] for c in CASES if c.values[1] == 2}
    assert two == {e.id for e in CATALOGUE.values() if len(e.placements) == 2}
    assert len(two) >= 15
