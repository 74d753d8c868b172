"""``rehab doctor``: one line per check, exit 0 on a sound data folder and 2 otherwise;
a damaged database is found and left exactly as it was."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from rehab.cli import main
from therapy.outbox import Channel, OutboxItem
from therapy.store import SCHEMA_VERSION, TherapyStore

CHECKS = ("data folder", "permissions", "free space", "database", "integrity", "schema",
          "outbox", "refused records", "config", "clinic link", "kiosk settings")


def doctor(capsys: pytest.CaptureFixture[str], folder: Path) -> tuple[int, dict[str, str]]:
    code = main(["doctor", "--data-dir", str(folder)])
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    lines = out.out.splitlines()
    checks = {}
    for line in lines[:-1]:  # the last line sums up
        status, rest = line.split(None, 1)
        name, _text = rest.split(": ", 1)
        assert status in ("ok", "warn", "FAIL") and name not in checks
        checks[name] = line
    return code, checks


def _data(folder: Path, rows: int = 3) -> Path:
    store = TherapyStore(folder / "rehab.db")
    store.enqueue([OutboxItem(Channel.RECORDS, f"r{i}", b"x" * 2000) for i in range(rows)])
    store.close()
    os.chmod(folder, 0o700)
    os.chmod(folder / "rehab.db", 0o600)
    return folder


def test_sound_folder_passes_every_check(capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    folder = _data(tmp_path / "data")
    (folder / "rehab.toml").write_text('device = "dev-1"\nclinic = "c1"\n'
                                       'broker = "mqtt://127.0.0.1:1883"\n')
    code, checks = doctor(capsys, folder)
    assert code == 0 and tuple(checks) == CHECKS
    assert all(line.startswith("ok ") for line in checks.values()), checks
    assert f"version {SCHEMA_VERSION}" in checks["schema"]
    assert "3 record(s) wait to be sent" in checks["outbox"]
    assert "device dev-1, clinic c1" in checks["config"]


def test_missing_folder_and_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, checks = doctor(capsys, tmp_path / "nope")
    assert code == 2 and "does not exist" in checks["data folder"]
    (tmp_path / "afile").write_text("x")
    code, checks = doctor(capsys, tmp_path / "afile")
    assert code == 2 and "is a file, not a folder" in checks["data folder"]


def test_damaged_database_found_and_left_as_it_is(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    folder = _data(tmp_path / "data", rows=60)
    db = folder / "rehab.db"
    data = bytearray(db.read_bytes())
    rnd = random.Random(3)
    for i in range(4096 * 4, 4096 * 7):
        data[i] = rnd.randrange(256)
    db.write_bytes(bytes(data))
    before = db.read_bytes()
    code, checks = doctor(capsys, folder)
    assert code == 2 and checks["integrity"].startswith("FAIL")
    assert "call the clinic" in checks["integrity"]
    assert db.read_bytes() == before


def test_newer_schema_bad_config_and_settings(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Path) -> None:
    import sqlite3

    folder = _data(tmp_path / "data")
    with sqlite3.connect(folder / "rehab.db") as db:
        db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    (folder / "rehab.toml").write_text('broker = "ftp://dev:s3cret@host"\n')
    (folder / "kiosk.json").write_text("{")
    os.chmod(folder / "kiosk.json", 0o600)
    code, checks = doctor(capsys, folder)
    assert code == 2
    assert checks["schema"].startswith("FAIL") and "upgrade rehab-kiosk" in checks["schema"]
    assert checks["config"].startswith("FAIL") and "s3cret" not in checks["config"]
    assert checks["kiosk settings"].startswith("FAIL")


def test_shared_folder_is_a_warning_not_a_failure(capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    folder = _data(tmp_path / "data")
    os.chmod(folder, 0o755)
    code, checks = doctor(capsys, folder)
    assert code == 0 and checks["permissions"].startswith("warn")
    assert "chmod 700" in checks["permissions"]
