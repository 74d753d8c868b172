"""`rehab replay` end to end: JSON shape, formats, causality, and bad input as one line + exit 2."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rehab.cli import main
from sensors.replay import write_csv
from sensors.sim import SimConfig, simulate

REP_KEYS = {"n", "t_start", "t_peak", "t_end", "t_detected", "rom_deg", "hold_s", "up_s",
            "down_s", "flags"}


def replay_json(capsys, *args) -> dict:
    assert main(["replay", *map(str, args), "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # exactly one JSON object
    return json.loads(out)


@pytest.fixture(scope="module")
def sim_csv(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("sim")
    res = simulate(SimConfig(exercise_id="elbow_flexion", reps=6, rate_hz=100.0, seed=8,
                             two_segment=True, t0_s=1000.0))
    write_csv(folder / "forearm.csv", res.distal)
    write_csv(folder / "upper_arm.csv", res.proximal)
    return folder, res.truth.to_json()


def test_json_shape_and_counts_on_a_simulated_file(capsys, sim_csv):
    folder, truth = sim_csv
    got = replay_json(capsys, folder / "forearm.csv")
    assert got["count"] == len(truth["reps"]) == len(got["reps"])
    assert got["rate_hz"] == pytest.approx(100.0)
    assert got["samples"] > 0 and got["gaps"] == 0 and got["nan_rows"] == 0
    for i, rep in enumerate(got["reps"], start=1):
        assert set(rep) == REP_KEYS and rep["n"] == i
        # Times count from the file's first sample, not the clock it was recorded on.
        assert 0 <= rep["t_start"] < rep["t_peak"] < rep["t_end"] <= rep["t_detected"] < 200


def test_proximal_file_gives_the_joint_angle(capsys, sim_csv):
    folder, truth = sim_csv
    got = replay_json(capsys, folder / "forearm.csv", "--proximal", folder / "upper_arm.csv")
    assert got["count"] == len(truth["reps"])
    err = [g["rom_deg"] - t["rom_deg"] for g, t in zip(got["reps"], truth["reps"])]
    assert np.sqrt(np.mean(np.square(err))) < 2.0


def test_prescription_flags(capsys, sim_csv):
    folder, _ = sim_csv
    got = replay_json(capsys, folder / "forearm.csv", "--target-rom-deg", 170, "--hold-s", 30)
    assert all({"incomplete_rom", "short_hold"} <= set(r["flags"]) for r in got["reps"])


def test_cutting_the_file_short_keeps_earlier_reps(capsys, sim_csv, tmp_path):
    folder, _ = sim_csv
    lines = (folder / "forearm.csv").read_text().splitlines()
    full = replay_json(capsys, folder / "forearm.csv", "--chunk", 7)
    cut = tmp_path / "cut.csv"
    cut.write_text("\n".join(lines[: len(lines) * 3 // 5]) + "\n")
    short = replay_json(capsys, cut, "--chunk", 50)
    assert 0 < short["count"] < full["count"]
    cut_s = float(lines[len(lines) * 3 // 5 - 1].split(",")[0]) - float(lines[1].split(",")[0])
    ended = [r for r in full["reps"] if r["t_end"] <= cut_s]
    assert short["reps"][: len(ended)] == ended  # every rep that ended before the cut
    # and at most the rep the cut fell in, counted once at its top for half its hold
    # (RepDetector.finish): its start and ROM as in the whole file, its end the cut
    assert short["count"] - len(ended) in (0, 1)
    if short["count"] > len(ended):
        last, whole = short["reps"][-1], full["reps"][len(ended)]
        assert last["t_start"] == whole["t_start"]
        assert abs(last["rom_deg"] - whole["rom_deg"]) < 2.0
        assert last["t_end"] <= cut_s + 0.1 < whole["t_end"]


def test_uci_file_and_session_folder(capsys, shared_data):
    one = replay_json(capsys, shared_data / "uci-pt/s1/e6/u2/test.txt.gz")
    assert one["count"] == 30 and one["rate_hz"] == 25.0
    folder = replay_json(capsys, shared_data / "uci-pt/s1/e6")
    assert folder["reps"] == one["reps"]  # u2 is the unit that rotates most


def test_gaps_are_counted_and_flagged(capsys, tmp_path):
    res = simulate(SimConfig(exercise_id="knee_extension_seated", reps=6, rate_hz=50.0,
                             seed=3, gap_s=3.0))
    write_csv(tmp_path / "gap.csv", res.distal)
    got = replay_json(capsys, tmp_path / "gap.csv")
    assert got["gaps"] >= 1 and got["gap_s"] == pytest.approx(3.0, abs=0.1)
    assert got["count"] >= 5


def test_isolated_nan_rows_are_skipped_and_counted(capsys, sim_csv, tmp_path):
    folder, truth = sim_csv
    lines = (folder / "forearm.csv").read_text().splitlines()
    for i in (500, 1500, 2500):
        t = lines[i].split(",")[0]
        lines[i] = ",".join([t] + ["nan"] * 6)
    path = tmp_path / "nan.csv"
    path.write_text("\n".join(lines) + "\n")
    got = replay_json(capsys, path)
    assert got["nan_rows"] == 3 and got["count"] == len(truth["reps"])


def test_table_output(capsys, sim_csv):
    folder, truth = sim_csv
    assert main(["replay", str(folder / "forearm.csv")]) == 0
    out = capsys.readouterr().out
    assert f"{len(truth['reps'])} reps" in out and "ROM" in out


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def bad_inputs(tmp: Path) -> list[tuple[list[str], str]]:
    still = "".join(f"{i * 0.01:.2f},0,0,9.81,0,0,0\n" for i in range(300))
    in_g = "".join(f"{i * 0.01:.2f},0,0,1.0,0,0,0\n" for i in range(300))
    back = "t,ax,ay,az,gx,gy,gz\n" + "".join(
        f"{t:.2f},0,0,9.81,0,0,0\n" for t in [0.0, 0.01, 0.02, 0.015, 0.03])
    gz = tmp / "x.txt.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write("time index;acc_x;acc_y\n1;0;0\n")
    return [
        ([str(tmp / "missing.csv")], "missing.csv"),
        ([str(write(tmp / "cols.csv", "t,ax,ay,az,gx,gy\n" + still))], "cols.csv:1"),
        ([str(write(tmp / "what.bin", "hello\n1 2 3\n"))], "what.bin"),
        ([str(write(tmp / "hdr.csv", "a,b,c,d,e,f,g\n" + still)), "--format", "csv"], "hdr.csv:1"),
        ([str(write(tmp / "g.csv", "t,ax,ay,az,gx,gy,gz\n" + in_g))], "g.csv"),
        ([str(write(tmp / "back.csv", back))], "back.csv:5"),
        ([str(gz)], "x.txt.gz"),
        ([str(tmp / "cols.csv"), "--format", "parquet"], "parquet"),
    ]


def test_bad_input_is_one_line_exit_2_and_no_traceback(tmp_path):
    exe = [sys.executable, "-m", "rehab.cli", "replay"]
    for args, needle in bad_inputs(tmp_path):
        proc = subprocess.run(exe + args, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, (args, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0], (args, proc.stderr)
        assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_uci_layout_names_the_exercise_so_a_forward_bend_counts_down_as_up(capsys, shared_data):
    """e2 bends the trunk forward: replayed as the dataset lays it out, it needs no --exercise."""
    by_path = replay_json(capsys, shared_data / "uci-pt/s1/e2/u4/test.txt.gz")
    told = replay_json(capsys, shared_data / "uci-pt/s1/e2/u4/test.txt.gz",
                       "--exercise", "trunk_flexion_seated")
    assert by_path["reps"] == told["reps"] and by_path["count"] >= 29


def test_default_step_gives_the_reps_of_small_chunks(capsys, sim_csv):
    """Replay feeds files in large steps for speed; a live wearable's 3-sample chunks agree."""
    folder, _ = sim_csv
    default = replay_json(capsys, folder / "forearm.csv")
    small = replay_json(capsys, folder / "forearm.csv", "--chunk", 3)
    assert default["count"] > 0
    assert default == small
