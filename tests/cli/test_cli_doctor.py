"""``rehab doctor``: one line per check, exit 0 on a sound data folder and 2 otherwise;
a damaged database is found and left exactly as it was."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from rehab.cli import main
from rehab.commands.doctor_camera import is_camera_check
from therapy.outbox import Channel, OutboxItem
from therapy.store import SCHEMA_VERSION, TherapyStore

CHECKS = ("data folder", "permissions", "free space", "database", "integrity", "schema",
          "outbox", "refused records", "session drafts", "config", "clinic link",
          "kiosk settings")


def doctor(capsys: pytest.CaptureFixture[str], folder: Path) -> tuple[int, dict[str, str]]:
    code = main(["doctor", "--data-dir", str(folder), "--no-camera"])
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    lines = out.out.splitlines()
    checks = {}
    for line in lines[:-1]:  # the last line sums up
        status, rest = line.split(None, 1)
        name, _text = rest.split(": ", 1)
        if is_camera_check(name):  # this machine's: tests/cli/test_cli_doctor_camera.py
            continue
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


def test_refused_records_and_link_counters_are_warnings(capsys: pytest.CaptureFixture[str],
                                                        tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from mqtt.link_stats import SNAPSHOT_NAME, StatsSnapshot
    from therapy.outbox_refusals import mark_refused

    folder = _data(tmp_path / "data", rows=14)
    store = TherapyStore(folder / "rehab.db")
    marked = mark_refused(store, [(f"r{i}", "not_fhir" if i % 3 else "bad_field")
                                  for i in range(12)], datetime.now(timezone.utc))
    store.close()
    assert len(marked) == 12
    StatsSnapshot(folder / SNAPSHOT_NAME, lambda: {
        "rejected": {"bad_field": 2, "not_json": 1}, "clinic_refused_unknown": 1,
        "callback_errors": {"on_message": 1}}).write()
    code, checks = doctor(capsys, folder)
    assert code == 0
    assert checks["outbox"] == "ok    outbox: 2 record(s) wait to be sent, oldest from " + \
        checks["outbox"].split("oldest from ")[1]
    assert checks["refused records"].startswith(
        "warn  refused records: 12 record(s) the clinic refused (not_fhir 8, bad_field 4), "
        "kept here: r0 (bad_field), r1 (not_fhir),")
    assert "and 2 more; call your clinic" in checks["refused records"]
    assert checks["clinic link"].startswith(
        "warn  clinic link: inbound payloads refused 3 (bad_field 2, not_json 1); clinic "
        "refusals naming no record 1; callback errors on_message 1, as of ")
    assert (os.stat(folder / SNAPSHOT_NAME).st_mode & 0o777) == 0o600
    # a damaged snapshot is no counters, not a crash
    (folder / SNAPSHOT_NAME).write_text('{"rejected": [1], "callback_errors": "x"}')
    code, checks = doctor(capsys, folder)
    assert code == 0 and checks["clinic link"].startswith(
        "ok    clinic link: inbound payloads refused 0, as of ?")
