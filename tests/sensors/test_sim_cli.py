"""``rehab sim``: listing, file output round trip, errors, and the live view."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rich.console import Console

from motion.types import Rep
from rehab.cli import main
from rehab.commands.sim import proximal_path, run_live
from sensors.replay import load_recording
from sensors.sim import SimConfig, simulate
from sensors.types import ImuChunk
from therapy.catalogue import CATALOGUE


def test_list_prints_every_exercise_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "--list"]) == 0
    assert capsys.readouterr().out.split() == list(CATALOGUE)


def test_out_and_truth_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, truth = tmp_path / "knee.csv", tmp_path / "knee.json"
    argv = ["sim", "--exercise", "heel_slide", "--reps", "4", "--rate-hz", "50", "--seed", "3",
            "--out", str(out), "--truth", str(truth)]
    assert main(argv) == 0
    expected = simulate(SimConfig(exercise_id="heel_slide", reps=4, rate_hz=50.0, seed=3))
    lines = out.read_text().splitlines()
    assert lines[0] == "t,ax,ay,az,gx,gy,gz"
    assert len(lines) - 1 == len(expected.distal)
    rec = load_recording(out)  # the replay side reads what the simulator wrote
    np.testing.assert_allclose(rec.chunk.t_s, expected.distal.t_s, atol=1e-6)
    np.testing.assert_allclose(rec.chunk.gyro_rad_s, expected.distal.gyro_rad_s, atol=1e-6)
    doc = json.loads(truth.read_text())
    assert doc["n_reps"] == 4 and len(doc["reps"]) == 4
    assert doc["exercise_id"] == "heel_slide" and doc["rate_hz"] == 50.0
    assert len(doc["angle_t_s"]) == len(expected.distal)
    assert not (tmp_path / "knee.proximal.csv").exists()
    assert "wrote" in capsys.readouterr().out


def test_two_segment_writes_the_proximal_file(tmp_path: Path) -> None:
    out = tmp_path / "elbow.csv"
    assert main(["sim", "--exercise", "elbow_flexion", "--reps", "2", "--two-segment",
                 "--out", str(out)]) == 0
    prox = tmp_path / "elbow.proximal.csv"
    expected = simulate(SimConfig(exercise_id="elbow_flexion", reps=2, two_segment=True))
    assert expected.proximal is not None
    assert len(prox.read_text().splitlines()) - 1 == len(expected.proximal)
    custom = tmp_path / "upper.csv"
    assert main(["sim", "--exercise", "elbow_flexion", "--reps", "2", "--two-segment",
                 "--out", str(out), "--out-proximal", str(custom)]) == 0
    assert custom.read_text() == prox.read_text()
    assert proximal_path(Path("a/b.csv.gz")) == Path("a/b.proximal.csv.gz")


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["sim", "--exercise", "moonwalk", "--reps", "3"], "knee_extension_seated"),
        (["sim", "--reps", "3"], "--exercise"),
        (["sim", "--exercise", "heel_slide", "--reps", "0"], "reps"),
        (["sim", "--exercise", "heel_slide", "--out", "x.csv", "--out-proximal", "y.csv"],
         "--two-segment"),
        (["sim", "--exercise", "heel_slide", "--out", "/no/such/dir/x.csv"], "cannot write"),
    ],
)
def test_user_errors_exit_2_with_one_line(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("rehab sim: error:") and needle in err and "\n" not in err


class TruthAnalyzer:
    """A stand-in motion core for the view alone: reports each simulated rep once its
    fall has ended, so the display can be checked against known reps."""

    def __init__(self, reps: list[Any]) -> None:
        self.pending = list(reps)
        self.angle_deg_ = 0.0
        self.fed = 0

    def feed(self, chunk: ImuChunk, proximal: ImuChunk | None = None) -> list[Rep]:
        self.fed += len(chunk)
        if proximal is not None:
            np.testing.assert_array_equal(proximal.t_s, chunk.t_s)
        done = [r for r in self.pending if r.t_end <= chunk.t_s[-1]]
        self.pending = self.pending[len(done):]
        return [Rep(r.n, r.t_start, r.t_peak, r.t_end, float(chunk.t_s[-1]), r.rom_deg, r.hold_s,
                    r.up_s, r.down_s, r.rom_deg) for r in done]

    def finish(self) -> list[Rep]:
        return []


@pytest.mark.parametrize("terminal", [False, True])
def test_live_view_shows_angle_and_each_rep(
    terminal: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    res = simulate(SimConfig(reps=3))
    an = TruthAnalyzer(res.truth.reps)
    console = Console(force_terminal=terminal, width=100, record=True)
    assert run_live(res, an, speed=0.0, console=console) == 0
    assert an.fed == len(res.distal)
    text = capsys.readouterr().out + console.export_text()
    assert "3 reps counted, 3 simulated" in text
    if not terminal:
        assert text.count("rep ") >= 3 and "angle" in text


@pytest.mark.timeout(120)
@pytest.mark.parametrize("two_segment", [False, True])
def test_live_mode_runs_through_the_motion_core(
    two_segment: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["sim", "--exercise", "knee_extension_seated", "--reps", "3", "--speed", "0"]
    assert main(argv + (["--two-segment"] if two_segment else [])) == 0
    out = capsys.readouterr().out
    assert "3 simulated" in out and "angle" in out
    if not two_segment:  # one segment: the core's count is the simulated one
        assert "3 reps counted, 3 simulated" in out
