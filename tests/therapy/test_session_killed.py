"""A session killed mid-set keeps every rep it confirmed (issue 15, lose no data), with real
processes: ``rehab session`` on the simulator is SIGKILLed (as the OOM killer or a power cut
ends it: no handler runs) after it printed some reps; the next ``rehab session`` on the same
store stores the killed one as not completed, with exactly the reps in its journal at the
kill (every rep it printed, none twice), its pain before and their outbox rows."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from tests.helpers.db_read import read_db

from rehab.cli import main

EX = "knee_extension_seated"
# No broker listens here: the records stay in the outbox, where the test can see them.
OFFLINE = ["--device", "dev-1", "--clinic", "c1", "--broker", "mqtt://127.0.0.1:1",
           "--send-timeout", "0"]


def _printed(lines: list[str]) -> list[tuple[int, int, float]]:
    """(set, n, ROM) of the 'rep N of set S: R deg' lines ``rehab session`` prints."""
    out = []
    for line in lines:
        if line.startswith("rep "):
            words = line.split()
            out.append((int(words[4].rstrip(":")), int(words[1]), float(words[5])))
    return out


@pytest.mark.timeout(60)
def test_a_killed_session_is_stored_by_the_next_start_with_every_confirmed_rep(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "rehab.db"
    child = subprocess.Popen(
        [sys.executable, "-m", "rehab", "session", "--sim", EX, "--reps", "40",
         "--realtime", "50", "--pain-before", "3", "--data-dir", str(tmp_path), *OFFLINE],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    lines: list[str] = []
    try:
        while len(_printed(lines)) < 3:
            line = child.stdout.readline()
            assert line, f"rehab session ended early: {child.stderr.read()}"  # type: ignore
            lines.append(line)
        os.kill(child.pid, signal.SIGSTOP)  # frozen: its journal cannot move on
        journal = [(s, n, json.loads(body)["rom_deg"]) for s, n, body in read_db(
            db, "SELECT set_no, n, rep FROM draft_reps ORDER BY set_no, n")]
        [(killed,)] = read_db(db, "SELECT session_id FROM session_drafts")
    finally:
        child.kill()
        out, _err = child.communicate(timeout=10)
    assert child.returncode == -signal.SIGKILL
    printed = _printed(lines + out.splitlines())
    # the journal is written before a rep is shown: every printed rep is in it, and at
    # most the one being printed is in it unprinted
    assert len(printed) >= 3
    assert [p[:2] for p in printed] == [j[:2] for j in journal[:len(printed)]]
    assert all(abs(p[2] - j[2]) <= 0.051 for p, j in zip(printed, journal))  # same ROM
    assert len(journal) - len(printed) <= 1
    assert read_db(db, "SELECT COUNT(*) FROM sessions") == [(0,)]  # nothing stored but the journal

    assert main(["session", "--sim", EX, "--reps", "1", "--json", "--data-dir", str(tmp_path),
                 *OFFLINE]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["recovered"] == [killed]
    [(completed, rep_count, sets_done, started, ended)] = read_db(
        db, f"SELECT completed, rep_count, sets_done, started_at, ended_at FROM sessions "
            f"WHERE id = '{killed}'")
    assert (completed, rep_count, sets_done) == (0, len(journal), 1) and ended > started
    reps = read_db(db, f"SELECT set_no, n, rom_deg FROM reps WHERE session_id = '{killed}' "
                  "ORDER BY set_no, n")
    assert reps == journal  # exactly, none twice
    [(pain_id, rating)] = read_db(db, f"SELECT id, rating FROM pain_reports "
                                 f"WHERE session_id = '{killed}' AND phase = 'before'")
    assert rating == 3
    outbox = [r[0] for r in read_db(db, "SELECT record_id FROM outbox ORDER BY id")]
    assert outbox[:2] == [killed, pain_id] and outbox[2:] == [summary["session"]]
    assert read_db(db, "SELECT COUNT(*) FROM session_drafts") == [(0,)]
    assert read_db(db, "SELECT COUNT(*) FROM draft_reps") == [(0,)]
    # the second session finished normally: stored, and no draft of it is left
    assert read_db(db, "SELECT COUNT(*) FROM sessions") == [(2,)]
