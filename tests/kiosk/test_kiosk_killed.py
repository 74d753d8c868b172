"""The kiosk itself killed mid-set (issue 15, lose no data): ``rehab kiosk`` runs offscreen
on the simulator as systemd runs it, a patient types the PIN and begins a set; after a few
reps the kiosk gets SIGKILL (the OOM killer, a crash: no stop path runs; frozen with SIGSTOP
first so its journal is read at the kill). While it runs, ``rehab doctor`` counts its draft
as the running kiosk's own, no fault. The kiosk started again on the same data folder
stores the session, not completed, with exactly the journaled reps (every rep the screen
was told of, none twice) and its pain before, and Today says so."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from tests.helpers.db_read import read_db
from kiosk_process import READY_WAIT_S, notify_messages, provisioned, start_kiosk

from kiosk.adapters.sources import SimSourceFactory
from kiosk.model import KioskModel
from rehab.cli import main

pytestmark = pytest.mark.timeout(120)
EX = "knee_extension_seated"
REPS_SEEN = 3  # reps the screen is told of before the kill


def test_a_killed_kiosk_keeps_the_journaled_reps(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    db = data / "rehab.db"
    provisioned(data)
    driven = str(Path(__file__).with_name("kiosk_driven.py"))
    proc, notify = start_kiosk(tmp_path, [driven, EX, "40", "--", "--data-dir", str(data),
                                          "--demo-sensors", "--sim-speed", "20", "--size",
                                          "800x480", "--windowed"])
    seen: list[int] = []
    try:
        assert "READY=1" in notify_messages(notify, "READY=1", READY_WAIT_S), proc.poll()
        assert proc.stdout is not None
        while len(seen) < REPS_SEEN:
            line = proc.stdout.readline()
            assert line, f"the kiosk ended early: {proc.communicate(timeout=10)[1]}"
            if line.startswith("rep "):
                seen.append(int(line.split()[1]))
        os.kill(proc.pid, signal.SIGSTOP)  # frozen: its journal cannot move on
        journal = [(s, n, json.loads(body)["rom_deg"]) for s, n, body in read_db(
            db, "SELECT set_no, n, rep FROM draft_reps ORDER BY set_no, n")]
        [(killed,)] = read_db(db, "SELECT session_id FROM session_drafts")
        capsys.readouterr()
        main(["doctor", "--data-dir", str(data)])  # the running kiosk's draft: no fault
        assert ("ok    session drafts: no interrupted session waits; 1 of the running kiosk "
                "or session (not a fault)") in capsys.readouterr().out.splitlines()
    finally:
        proc.kill()
        out, _err = proc.communicate(timeout=10)
        notify.close()
    assert proc.returncode == -signal.SIGKILL
    seen += [int(ln.split()[1]) for ln in out.splitlines() if ln.startswith("rep ")]
    # every rep the screen was told of is in the journal; at most one more was on its way
    assert [n for _s, n, _r in journal[:len(seen)]] == seen == list(range(1, len(seen) + 1))
    assert len(journal) - len(seen) <= 1
    assert read_db(db, "SELECT COUNT(*) FROM sessions") == [(0,)]  # nothing but the journal

    m = KioskModel(data, sources=SimSourceFactory(speed=60.0))  # the kiosk starts again
    try:
        assert [r.id for r in m.recovered.stored] == [killed]
        assert read_db(db, f"SELECT completed, rep_count, sets_done FROM sessions "
                      f"WHERE id = '{killed}'") == [(0, len(journal), 1)]
        assert read_db(db, f"SELECT set_no, n, rom_deg FROM reps WHERE session_id = '{killed}' "
                      "ORDER BY set_no, n") == journal  # exactly, none twice
        assert read_db(db, f"SELECT rating FROM pain_reports WHERE session_id = '{killed}' "
                      "AND phase = 'before'") == [(2,)]
        assert read_db(db, "SELECT COUNT(*) FROM session_drafts") == [(0,)]
        assert m.today().note == (f"Your last session was interrupted. The {len(journal)} "
                                  "reps you did were saved and will reach your therapist.")
    finally:
        m.close()
