"""``rehab session`` on a kiosk with no clinic configured (no device id given, none in
``rehab.toml``): as the kiosk does offline, the session is stored and its records wait in
the outbox; it used to stop with "no device id" and store nothing. Once the clinic is
configured, ``rehab sync`` delivers them, through a real Mosquitto to the clinic's ingest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.helpers.db_read import read_db
from tests.helpers.link_helpers import start_watcher
from tests.helpers.rehab_broker import Broker

from rehab.cli import main

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    b = Broker(tmp_path / "broker").start()
    yield b
    b.stop()


def test_a_session_with_no_clinic_is_stored_and_sent_once_one_is(
        broker: Broker, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dev = tmp_path / "dev"
    assert main(["session", "--sim", "knee_extension_seated", "--reps", "3",
                 "--data-dir", str(dev), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert summary["count"] == 3 and summary["outbox_waiting"] >= 1
    [(sid, reps)] = read_db(dev / "rehab.db", "SELECT id, rep_count FROM sessions")
    assert (sid, reps) == (summary["session"], 3)

    assert main(["session", "--sim", "heel_slide", "--reps", "2",
                 "--data-dir", str(dev)]) == 0
    said = capsys.readouterr().out
    assert "wait in the outbox (no clinic configured: pass --device" in said

    watcher = start_watcher(tmp_path / "clinic", broker.url)
    try:
        assert main(["sync", "--timeout", "15", "--device", "dev-1", "--clinic", "c1",
                     "--broker", broker.url, "--data-dir", str(dev)]) == 0
        rows = watcher.store.sessions("dev-1")
        assert {r.identifier for r in rows} == {
            f"urn:uuid:{s}" for (s,) in read_db(dev / "rehab.db", "SELECT id FROM sessions")}
        assert sorted(r.reps for r in rows) == [2, 3]
    finally:
        watcher.stop()
    assert read_db(dev / "rehab.db", "SELECT COUNT(*) FROM outbox") == [(0,)]
