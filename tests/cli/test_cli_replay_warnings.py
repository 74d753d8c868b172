"""``rehab replay --json`` lists what loading had to assume under ``warnings`` (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rehab.cli import main


def replay_json(capsys: pytest.CaptureFixture[str], *args: object) -> dict:
    assert main(["replay", *map(str, args), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_smartwatch_set_that_never_stands_still_replays_with_a_warning(
    capsys: pytest.CaptureFixture[str], shared_data: Path
) -> None:
    got = replay_json(capsys, shared_data / "spar/s03_FEL_R.csv.gz")  # refused before
    assert got["warnings"] == ["s03_FEL_R.csv.gz: no still period found; assuming m/s^2 from "
                               "the median magnitude 24.2 m/s^2 (2.5 g)"]
    assert got["count"] > 0


def test_a_file_with_a_still_period_has_an_empty_warning_list(
    capsys: pytest.CaptureFixture[str], shared_data: Path
) -> None:
    got = replay_json(capsys, shared_data / "uci-pt/s1/e1/u2/test.txt.gz")
    assert got["warnings"] == []


def test_proximal_file_warnings_are_listed_too(
    capsys: pytest.CaptureFixture[str], shared_data: Path
) -> None:
    spar = shared_data / "spar"
    got = replay_json(capsys, spar / "s01_ABD_R.csv.gz", "--proximal", spar / "s01_ABD_L.csv.gz")
    assert [w.split(":")[0] for w in got["warnings"]] == ["s01_ABD_R.csv.gz", "s01_ABD_L.csv.gz"]


def test_tempo_must_be_positive(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["replay", str(tmp_path / "x.csv"), "--tempo-s", "0"]) == 2
    assert "--tempo-s must be a positive number" in capsys.readouterr().err
