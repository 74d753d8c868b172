"""Issue 12 finding 10: every bad input to the CLI is one clear line on stderr and exit 2,
never a traceback. Through ``rehab.cli.main`` (the console script's function), and once
through the installed entry point in a subprocess."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from clinic.store import ClinicStore
from rehab.cli import main
from sensors.replay import write_csv
from sensors.sim import SimConfig, simulate
from therapy import fhir
from therapy.outbox import Channel, OutboxItem
from therapy.records import PainPhase, PainReport, RepRecord, SessionRecord, new_id
from therapy.store import TherapyStore

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def one_line_error(capsys: pytest.CaptureFixture[str], *argv: object) -> str:
    """Run ``rehab ARGV``: exit 2 and exactly one line on stderr, which is returned."""
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("rehab ") and "Traceback" not in err, err
    return err


@pytest.fixture(scope="module")
def sim_csv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("sim")
    res = simulate(SimConfig(exercise_id="knee_extension_seated", reps=3, seed=2))
    write_csv(folder / "ok.csv", res.distal)
    return folder, (folder / "ok.csv").read_text().splitlines()


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


# --- rehab sim ---------------------------------------------------------------------------
def test_sim_negative_seed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    err = one_line_error(capsys, "sim", "--exercise", "heel_slide", "--seed", "-1",
                         "--out", tmp_path / "x.csv")
    assert "--seed must be 0.." in err and not (tmp_path / "x.csv").exists()


def test_sim_huge_reps_refused_before_allocating(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    err = one_line_error(capsys, "sim", "--exercise", "heel_slide", "--reps", "1000000000",
                         "--out", tmp_path / "x.csv")
    assert "--reps must be 1..1000" in err


def test_session_negative_seed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    err = one_line_error(capsys, "session", "--sim", "heel_slide", "--seed", "-1",
                         "--device", "d1", "--data-dir", tmp_path)
    assert "--seed must be 0.." in err


# --- the data folder and its database ------------------------------------------------------
def _stored_db(folder: Path) -> Path:
    store = TherapyStore(folder / "rehab.db")
    for _ in range(10):
        sid = new_id()
        reps = tuple(RepRecord(1, i + 1, 3.0 * i, 3.0 * i + 2, 60.0, 2.0, 1.0, 1.0)
                     for i in range(30))
        pain = PainReport(new_id(), 3, PainPhase.AFTER, NOW, sid)
        rec = SessionRecord(sid, "heel_slide", "left", "knee", NOW, NOW, 1, 30, 70.0,
                            3.0, reps, 1, True, None, None, (pain,))
        store.save_session(rec, [OutboxItem(Channel.RECORDS, sid, b"{}" * 300)])
    store.close()
    return folder / "rehab.db"


def _garble(db: Path, offset: int) -> None:
    data = bytearray(db.read_bytes())
    rnd = random.Random(7)
    for i in range(offset, min(len(data), offset + 3 * 4096)):
        data[i] = rnd.randrange(256)
    db.write_bytes(bytes(data))


@pytest.mark.parametrize("command", [["session", "--sim", "heel_slide", "--reps", "2"],
                                     ["sync"]])
def test_corrupt_database(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                          command: list[str]) -> None:
    _garble(_stored_db(tmp_path / "data"), 100)
    err = one_line_error(capsys, *command, "--device", "d1", "--broker",
                         "mqtt://127.0.0.1:9", "--data-dir", tmp_path / "data")
    assert "database damaged" in err and "call the clinic" in err


@pytest.mark.parametrize("command", [
    ["session", "--sim", "heel_slide", "--reps", "2", "--device", "d1"],
    ["sync", "--device", "d1"], ["clinic", "keygen"], ["kiosk"], ["pair"],
    ["clinic", "report", "--device", "d1", "--out", "r.html"]])
def test_data_dir_that_is_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                 command: list[str]) -> None:
    (tmp_path / "afile").write_text("x")
    err = one_line_error(capsys, *command, "--data-dir", tmp_path / "afile")
    assert "is a file, not a folder" in err
    assert (tmp_path / "afile").read_text() == "x"


def test_corrupt_database_through_the_console_script(tmp_path: Path) -> None:
    _garble(_stored_db(tmp_path / "data"), 100)
    proc = subprocess.run([sys.executable, "-m", "rehab.cli", "sync", "--device", "d1",
                           "--broker", "mqtt://127.0.0.1:9", "--data-dir",
                           str(tmp_path / "data")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "database damaged" in proc.stderr and "Traceback" not in proc.stderr


# --- rehab clinic report --------------------------------------------------------------------
def test_clinic_report_on_text_valued_fields(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    store = ClinicStore(tmp_path / "clinic.db")
    for values in ((55.0, 60.0), ("abc", "x")):
        sid = new_id()
        reps = (RepRecord(1, 1, 0.0, 2.0, 50.0, 2.0, 1.0, 1.0),)
        rec = SessionRecord(sid, "heel_slide", "left", "knee", NOW, NOW, 1, 10, 70.0,
                            3.0, reps, 1, False, None, None, ())
        bundle = fhir.session_bundle(rec, "dev-1")
        bundle["entry"][0]["resource"]["valueQuantity"]["value"] = values[0]
        bundle["entry"][1]["resource"]["valueQuantity"]["value"] = values[1]
        assert store.add_resource("dev-1", json.loads(json.dumps(bundle)))
    store.close()
    out = tmp_path / "r.html"
    assert main(["clinic", "report", "--device", "dev-1", "--data-dir", str(tmp_path),
                 "--out", str(out)]) == 0
    text = out.read_text()
    # the store keeps a mean ROM that is not a number as NULL (a PostgreSQL number column
    # cannot hold text); the rep's "x" stays in the stored list and the report counts it
    assert "2 sessions" in text and "1 stored value(s) were not numbers" in text
    assert "Traceback" not in capsys.readouterr().err


# --- rehab replay ---------------------------------------------------------------------------
def test_replay_rows_wider_than_the_header(capsys: pytest.CaptureFixture[str], sim_csv,
                                           tmp_path: Path) -> None:
    _folder, lines = sim_csv
    path = _write(tmp_path / "wide.csv", [lines[0], *(f"{ln},1.0" for ln in lines[1:])])
    err = one_line_error(capsys, "replay", path, "--json")
    assert "wide.csv:2: row has 8 fields, the header has 7" in err


def test_replay_times_1e12_s_apart(capsys: pytest.CaptureFixture[str], sim_csv,
                                   tmp_path: Path) -> None:
    _folder, lines = sim_csv
    rows = [f"{i * 10**12}," + ln.split(",", 1)[1] for i, ln in enumerate(lines[1:])]
    err = one_line_error(capsys, "replay", _write(tmp_path / "apart.csv", [lines[0], *rows]),
                         "--json")
    assert "sample rate 1e-12 Hz" in err and "outside 1..2000 Hz" in err


def test_replay_one_gap_of_1e12_s(capsys: pytest.CaptureFixture[str], sim_csv,
                                  tmp_path: Path) -> None:
    _folder, lines = sim_csv
    rows = lines[1:]
    half = len(rows) // 2
    t = np.array([float(r.split(",", 1)[0]) for r in rows])
    t[half:] += 1e12
    rows = [f"{ti:.6f}," + r.split(",", 1)[1] for ti, r in zip(t, rows)]
    err = one_line_error(capsys, "replay", _write(tmp_path / "gap.csv", [lines[0], *rows]),
                         "--json")
    assert "no samples for 1e+12 s" in err and f"(sample {half + 1})" in err


@pytest.mark.parametrize("rate", ["1e-300", "0.5", "5000", "nan", "inf"])
def test_replay_rate_hz_out_of_bounds(capsys: pytest.CaptureFixture[str], sim_csv,
                                      rate: str) -> None:
    folder, _lines = sim_csv
    err = one_line_error(capsys, "replay", folder / "ok.csv", "--rate-hz", rate, "--json")
    assert "rate" in err and ("1..2000 Hz" in err or "positive number" in err)
