"""The kiosk's start-up keeps a session a crash interrupted (issue 15, lose no data), without
Kivy, on the real store: a draft left by a process that is gone is stored once as not
completed with its outbox rows, even when the recovery itself was killed between storing the
session and removing the draft (a real SIGKILL in a child process); Today says so calmly
until the next exercise starts; a draft that cannot be read is counted in the kiosk's
quarantine and the kiosk starts; the kiosk's own runs leave no draft behind when they are
stored (a stop, or an exercise left for another, keeps it at once), or when nothing of them
is to be kept."""

from __future__ import annotations

import dataclasses
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.helpers.fake_motion import FakeAnalyzer, ListSource

from kiosk import i18n
from kiosk.adapters.sources import SimSourceFactory
from kiosk.model import KioskModel
from kiosk.vm.quarantine import QUARANTINE
from therapy.drafts import DraftJournal
from therapy.plan import exercise_from_catalogue
from therapy.ports import FhirEncoder
from therapy.session import SessionController
from therapy.store import TherapyStore
from tests.helpers.waiting import until
from tests.helpers.db_read import read_db

pytestmark = pytest.mark.timeout(60)

# A recovery killed (SIGKILL) inside its transaction: after the session and its reps are
# written, at the draft's removal (a temporary trigger on this connection only).
KILLED_RECOVERY = """
import os, signal, sys
from therapy.drafts import recover_drafts
from therapy.ports import FhirEncoder
from therapy.store import TherapyStore
store = TherapyStore(sys.argv[1])
store._db.create_function("die", 0, lambda: os.kill(os.getpid(), signal.SIGKILL))
store._db.execute("CREATE TEMP TRIGGER die BEFORE DELETE ON session_drafts "
                  "BEGIN SELECT die(); END")
recover_drafts(store, FhirEncoder("dev-1"))
print("recovered without dying")
"""


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    i18n.set_language("en")


async def _left_behind(db: Path, reps: int) -> str:
    """A session of ``reps`` reps and a pain before whose process died mid-set: its
    journal only (written as another, dead, process)."""
    store = TherapyStore(db)
    ex = exercise_from_catalogue("knee_extension_seated")
    ctl = SessionController(ex, sink=store, encoder=FhirEncoder("dev-1"),
                            analyzer_factory=lambda r, p: FakeAnalyzer(r, 60.0, 1.0, False),
                            journal=DraftJournal(store, owner="another-boot:1:1"))
    ctl.set_pain_before(2)
    await ctl.run_set(ListSource([100] * reps))
    store.close()
    return ctl.session_id


def _model(tmp: Path) -> KioskModel:
    return KioskModel(tmp / "data", sources=SimSourceFactory(speed=60.0))


async def test_a_recovery_killed_midway_stores_the_session_once(tmp_path: Path) -> None:
    db = tmp_path / "data" / "rehab.db"
    db.parent.mkdir()
    sid = await _left_behind(db, reps=4)
    child = subprocess.run([sys.executable, "-c", KILLED_RECOVERY, str(db)],
                           capture_output=True, text=True, timeout=30)
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr
    assert read_db(db, "SELECT COUNT(*) FROM sessions") == [(0,)]  # rolled back with it
    assert read_db(db, "SELECT COUNT(*) FROM draft_reps") == [(4,)]  # the draft is still there

    m = _model(tmp_path)  # the kiosk starts again
    assert [r.id for r in m.recovered.stored] == [sid]
    assert read_db(db, "SELECT id, completed, rep_count FROM sessions") == [(sid, 0, 4)]
    assert read_db(db, "SELECT COUNT(*) FROM reps") == [(4,)]
    assert [r[0] for r in read_db(db, "SELECT record_id FROM outbox")][0] == sid
    assert len(read_db(db, "SELECT record_id FROM outbox")) == 2  # its bundle and pain before
    assert read_db(db, "SELECT COUNT(*) FROM session_drafts") == [(0,)]
    assert m.today().note == ("Your last session was interrupted. The 4 reps you did were "
                              "saved and will reach your therapist.")
    row = m.sessions()[0]
    assert (row.id, row.completed, row.pain_before) == (sid, False, 2)
    m.close()

    m = _model(tmp_path)  # and again: nothing more, the note still waits to be seen
    assert m.recovered.stored == []
    assert len(read_db(db, "SELECT id FROM sessions")) == 1
    i18n.set_language("es")
    assert m.today().note == ("Su última sesión se interrumpió. Se guardaron las 4 "
                              "repeticiones que hizo y llegarán a su terapeuta.")
    i18n.set_language("en")
    m.start_exercise(m.plan()[0].exercises[0])  # the patient moves on: the note is gone
    assert m.today().note == ""
    m.close()
    assert _model(tmp_path).today().note == ""


async def test_an_unreadable_draft_is_counted_and_the_kiosk_starts(tmp_path: Path) -> None:
    db = tmp_path / "data" / "rehab.db"
    db.parent.mkdir()
    sid = await _left_behind(db, reps=2)
    con = sqlite3.connect(db)
    con.execute("UPDATE session_drafts SET header = json_set(header, '$.exercise', 'moonwalk')")
    con.commit()
    con.close()
    before = QUARANTINE.counts["draft"]
    m = _model(tmp_path)
    assert m.recovered.stored == [] and [q[0] for q in m.recovered.quarantined] == [sid]
    assert QUARANTINE.counts["draft"] == before + 1
    assert m.today().note == "" and m.sessions() == []
    assert read_db(db, "SELECT COUNT(*) FROM draft_reps") == [(2,)]  # kept, not lost
    m.close()


async def test_the_kiosks_runs_leave_no_draft(tmp_path: Path) -> None:
    m = _model(tmp_path)
    db = m.store.path
    drafts = "SELECT COUNT(*) FROM session_drafts"
    # a flagged pain before goes alone: no session of it after a crash either
    run = m.start_exercise(m.plan()[0].exercises[0])
    run.pain_before.choose(9)
    assert not run.confirm_pain_before()
    assert read_db(db, drafts) == [(0,)]
    # a run stopped mid-set (keep_unfinished): the session stored, its draft removed with it
    ex = dataclasses.replace(m.plan()[0].exercises[0], sets=1, reps=30)
    run = m.start_exercise(ex)
    run.pain_before.choose(3)
    assert run.confirm_pain_before()
    run.start_set()
    await until(lambda: len(run.ctl.reps_) >= 1, 30, "a rep confirmed")
    assert read_db(db, drafts) == [(1,)] and read_db(db, "SELECT COUNT(*) FROM draft_reps") >= [(1,)]
    rec = m.keep_unfinished()
    assert rec is not None and not rec.completed
    assert read_db(db, drafts) == [(0,)] and read_db(db, "SELECT COUNT(*) FROM draft_reps") == [(0,)]
    assert run.task is not None
    await run.task
    # an exercise left mid-set for another (Today, then Start): kept now, not at a restart
    left = m.start_exercise(ex)
    left.pain_before.choose(1)
    assert left.confirm_pain_before()
    left.start_set()
    await until(lambda: len(left.ctl.reps_) >= 1, 30, "a rep confirmed")
    m.start_exercise(m.plan()[0].exercises[1])
    assert left.ctl.record_ is not None and not left.ctl.record_.completed
    assert read_db(db, f"SELECT completed FROM sessions WHERE id = '{left.ctl.session_id}'") \
        == [(0,)]
    assert read_db(db, drafts) == [(0,)]
    assert left.task is not None
    await left.task
    m.close()
