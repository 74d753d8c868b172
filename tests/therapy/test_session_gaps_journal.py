"""A live set's wearable outages are journaled as they happen (issue 15, lose no data): the
live set saves its gaps only at the set's end, so a crash mid-set lost them (not its reps).
A set run under the real live set supervisor (``SessionSources.supervise``: what ``rehab
session`` and the kiosk use), its links scripted, is SIGKILLed in a child process after one
outage ended and with another still open; the next start stores the session with both gaps
(the open one as never back). A set whose end saved its gaps has them once, not twice. A
drop-out timed on the real monotonic clock reaches the clinic, after the kill, at the time of
day it happened, as the live session would have sent it (the journal keeps the clock pair read
when the set's supervision began)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import pytest
from tests.helpers.fake_motion import FakeAnalyzer, ListSource
from tests.helpers.waiting import until
from tests.helpers.db_read import read_db

from protocol.clock import MonotonicClock
from sensors.link_events import LinkEvent, LinkEventKind, LinkPolicy
from therapy import fhir
from therapy.devices import WearableRegistry
from therapy.drafts import DraftJournal, recover_drafts
from therapy.plan import exercise_from_catalogue
from therapy.ports import FhirEncoder
from therapy.session import SessionController
from therapy.source_spec import parse_source
from therapy.sources import SessionSources
from therapy.store import TherapyStore

pytestmark = pytest.mark.timeout(60)
ROOT = Path(__file__).resolve().parents[2]
GONE = "another-boot:1:1"  # the owner token of a process that is no more
LOST, BACK = LinkEventKind.LOST, LinkEventKind.BACK
THIGH_GAP = (1, "ble:T", "thigh", 10.0, 12.5, "disconnected")
SHANK_OPEN = (1, "ble:S", "shank", 14.0, None, "out of range")

# The set in a child process, killed by the test once it printed "ready N" (N reps done):
# the thigh wearable was away 10.0-12.5 s (host clock), the shank one went at 14.0 s and
# is still away (the set is paused: no rep comes after).
CHILD = """
import asyncio, sys
from test_session_gaps_journal import {run}
asyncio.run({run}(sys.argv[1]))
"""


class ScriptedLink:
    """A wearable's link as the live set sees it (``sensors.live_set.SupervisedLink``),
    its events sent by the test."""

    def __init__(self) -> None:
        self.policy = LinkPolicy()
        self.listeners: list[Callable[[LinkEvent], None]] = []

    def stop(self) -> None:
        pass

    def emit(self, kind: LinkEventKind, sensor: str, segment: str, at_s: float,
             reason: str = "") -> None:
        for listener in list(self.listeners):
            listener(LinkEvent(sensor, segment, kind, at_s, reason))


def supervised_set(store: TherapyStore, owner: str | None
                   ) -> tuple[SessionController, ListSource, ScriptedLink, ScriptedLink, object]:
    ex = exercise_from_catalogue("knee_extension_seated")
    ctl = SessionController(ex, sink=store, encoder=FhirEncoder("dev-1"),
                            analyzer_factory=lambda r, p: FakeAnalyzer(r, 60.0, 1.0, False),
                            journal=DraftJournal(store, owner))
    src = ListSource([100] * 2000, pause_s=0.005)
    shank, thigh = ScriptedLink(), ScriptedLink()
    live = SessionSources(parse_source("ble"), src, links=[shank, thigh]).supervise(
        ctl, MonotonicClock())
    return ctl, src, shank, thigh, live


async def run(db: str) -> None:
    """The child's set (see CHILD): journaled as this process."""
    store = TherapyStore(db)
    ctl, _src, shank, thigh, _live = supervised_set(store, None)
    task = asyncio.ensure_future(ctl.run_set(_src))
    await until(lambda: len(ctl.reps_) >= 2, 20, "two reps")
    thigh.emit(LOST, "ble:T", "thigh", 10.0, "disconnected")
    thigh.emit(BACK, "ble:T", "thigh", 12.5)
    shank.emit(LOST, "ble:S", "shank", 14.0, "out of range")  # paused from here on
    print(f"ready {len(ctl.reps_)}", flush=True)
    await asyncio.sleep(60)
    task.cancel()


async def run_timed(db: str) -> None:
    """The child's set of the time-of-day test: the thigh wearable drops out for half a
    second, timed on the live set's own (real monotonic) clock; prints the wall time seen at
    the drop-out and its return, and where the live session places it (what its Bundle would
    carry)."""
    store = TherapyStore(db)
    ctl, src, _shank, thigh, live = supervised_set(store, None)
    task = asyncio.ensure_future(ctl.run_set(src))
    await until(lambda: len(ctl.reps_) >= 1, 20, "a rep")
    await asyncio.sleep(1.0)  # the drop-out comes well after the supervision began
    lost_wall, lost_s = datetime.now(timezone.utc), live.clock.now()
    thigh.emit(LOST, "ble:T", "thigh", lost_s, "disconnected")
    await asyncio.sleep(0.5)
    back_wall, back_s = datetime.now(timezone.utc), live.clock.now()
    thigh.emit(BACK, "ble:T", "thigh", back_s)
    [gap] = ctl._gaps.records(ctl.set_no)
    live_period = fhir.gap_observation(ctl.session_id, 1, gap, {})["effectivePeriod"]
    print("ready", json.dumps({"lost": lost_wall.isoformat(), "back": back_wall.isoformat(),
                               "live": live_period}), flush=True)
    await asyncio.sleep(60)
    task.cancel()


def killed_child(db: Path, run_name: str) -> str:
    """Runs ``run_name`` of this file in a child process on ``db`` and SIGKILLs it once it
    printed its "ready" line, which is returned."""
    TherapyStore(db).close()
    child = subprocess.Popen([sys.executable, "-c", CHILD.format(run=run_name), str(db)],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT / "tests" / "therapy")})
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.startswith("ready "), line + child.communicate(timeout=10)[1]
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=10)
    assert child.returncode == -signal.SIGKILL
    return line


def test_a_set_killed_mid_outage_is_recovered_with_its_gaps(tmp_path: Path) -> None:
    db = tmp_path / "rehab.db"
    reps = int(killed_child(db, "run").split()[1])
    assert read_db(db, "SELECT COUNT(*) FROM sessions") == [(0,)]
    assert sorted(read_db(db, "SELECT set_no, sensor_id, segment, start_s, end_s, reason FROM "
                         "draft_gaps")) == [SHANK_OPEN, THIGH_GAP]

    store = TherapyStore(db)  # the next start
    got = recover_drafts(store, FhirEncoder("dev-1"))
    [rec] = got.stored
    assert (rec.rep_count, rec.completed) == (reps, False)
    assert WearableRegistry(store).gaps(rec.id) == [THIGH_GAP, SHANK_OPEN]
    assert read_db(db, "SELECT COUNT(*) FROM draft_gaps") == [(0,)]
    store.close()


async def test_gaps_a_set_end_saved_are_not_stored_twice(tmp_path: Path) -> None:
    store = TherapyStore(tmp_path / "rehab.db")
    ctl, src, _shank, thigh, live = supervised_set(store, GONE)
    task = asyncio.ensure_future(ctl.run_set(src))
    await until(lambda: len(ctl.reps_) >= 1, 20, "a rep")
    thigh.emit(LOST, "ble:T", "thigh", 10.0, "disconnected")
    thigh.emit(BACK, "ble:T", "thigh", 12.5)
    await until(lambda: len(ctl.reps_) >= 2, 20, "a rep after the gap")
    await src.aclose()
    await task
    await live.close(WearableRegistry(store), ctl.session_id, ctl.set_no)  # the set's end
    # set 2 begins; the process dies in it (its draft stays, owned by a process gone)
    src2 = ListSource([100] * 3)
    await ctl.run_set(src2)
    got = recover_drafts(store, FhirEncoder("dev-1"))
    [rec] = got.stored
    assert rec.sets_done == 2 and rec.rep_count == len(ctl.reps_)
    assert WearableRegistry(store).gaps(rec.id) == [THIGH_GAP]  # once
    store.close()


async def test_a_finished_session_leaves_no_draft_gap(tmp_path: Path) -> None:
    store = TherapyStore(tmp_path / "rehab.db")
    ctl, src, shank, _thigh, live = supervised_set(store, None)
    task = asyncio.ensure_future(ctl.run_set(src))
    await until(lambda: len(ctl.reps_) >= 1, 20, "a rep")
    shank.emit(LOST, "ble:S", "shank", 3.0, "disconnected")
    assert read_db(store.path, "SELECT end_s FROM draft_gaps") == [(None,)]  # on disk at once
    shank.emit(BACK, "ble:S", "shank", 4.0)
    assert read_db(store.path, "SELECT end_s FROM draft_gaps") == [(4.0,)]  # replaced, not added
    await src.aclose()
    await task
    await live.close(WearableRegistry(store), ctl.session_id, ctl.set_no)
    rec = ctl.finish()
    assert WearableRegistry(store).gaps(rec.id) == [(1, "ble:S", "shank", 3.0, 4.0,
                                                     "disconnected")]
    assert read_db(store.path, "SELECT COUNT(*) FROM draft_gaps") == [(0,)]
    store.close()


async def test_an_outage_after_the_session_was_stored_writes_no_draft(tmp_path: Path) -> None:
    """The kiosk stopping mid-set stores the session first (keep_unfinished), then closes
    the wearables, which the supervisor sees as an outage: nothing is left to journal for a
    session already stored (an orphan draft row, or a write to the store the kiosk closes
    next, logged as a failed journal write)."""
    store = TherapyStore(tmp_path / "rehab.db")
    ctl, src, shank, _thigh, _live = supervised_set(store, None)
    task = asyncio.ensure_future(ctl.run_set(src))
    await until(lambda: len(ctl.reps_) >= 1, 20, "a rep")
    ctl.stop()
    ctl.finish()
    shank.emit(LOST, "ble:S", "shank", 3.0, "disconnected")
    assert read_db(store.path, "SELECT COUNT(*) FROM draft_gaps") == [(0,)]
    store.close()
    shank.emit(BACK, "ble:S", "shank", 4.0)  # after the store closed: nothing written
    assert ctl.journal_failures_ == 0
    await src.aclose()
    await task


@pytest.mark.parametrize(("damage", "why"), [
    ("UPDATE draft_gaps SET end_s = 'soon'", "gap of set 1: end_s must be a finite number"),
    ("UPDATE draft_gaps SET end_s = 1.0", "gap of set 1: ends (1.0) before it starts (3.0)"),
    ("UPDATE draft_gaps SET set_no = 0", "gap of set 0: set must be a whole number >= 1"),
    ("UPDATE draft_gaps SET host_s = NULL", "gap of set 1: its clock pair needs both"),
    ("UPDATE draft_gaps SET wall_at = 'noon'", "gap of set 1: wall_at must be an ISO time"),
    ("UPDATE draft_gaps SET host_s = 'boot'", "gap of set 1: host_s must be a finite number"),
])
async def test_a_damaged_gap_row_keeps_the_draft_aside(tmp_path: Path, damage: str,
                                                       why: str) -> None:
    store = TherapyStore(tmp_path / "rehab.db")
    ctl, src, shank, _thigh, _live = supervised_set(store, GONE)
    task = asyncio.ensure_future(ctl.run_set(src))
    await until(lambda: len(ctl.reps_) >= 1, 20, "a rep")
    shank.emit(LOST, "ble:S", "shank", 3.0, "disconnected")
    shank.emit(BACK, "ble:S", "shank", 4.0)
    await src.aclose()
    await task
    store._db.execute(damage)
    got = recover_drafts(store, FhirEncoder("dev-1"))
    assert got.stored == [] and [(sid, w[:len(why)]) for sid, w in got.quarantined] == [
        (ctl.session_id, why)]
    assert len(read_db(store.path, "SELECT * FROM draft_reps")) == len(ctl.reps_)  # kept
    store.close()


async def test_a_set_supervised_before_it_runs_journals_its_own_number(
        tmp_path: Path) -> None:
    """The kiosk and rehab session supervise a set's links before the set runs."""
    store = TherapyStore(tmp_path / "rehab.db")
    ctl, src, _shank, _thigh, live = supervised_set(store, GONE)
    await src.aclose()
    await ctl.run_set(src)  # set 1, nothing in it
    await live.close()
    src2 = ListSource([100] * 3)
    thigh = ScriptedLink()
    SessionSources(parse_source("ble"), src2, links=[thigh]).supervise(ctl, MonotonicClock())
    thigh.emit(LOST, "ble:T", "thigh", 5.0, "disconnected")  # before set 2 runs
    assert read_db(store.path, "SELECT set_no, start_s FROM draft_gaps") == [(2, 5.0)]
    ctl.set_pain_before(2)  # something done, so the draft is worth keeping
    # the process dies before set 2 begins: the session is kept, without a set 2 gap
    got = recover_drafts(store, FhirEncoder("dev-1"))
    [rec] = got.stored
    assert rec.sets_done == 1 and WearableRegistry(store).gaps(rec.id) == []
    store.close()


def test_a_drop_out_of_a_killed_set_reaches_the_clinic_at_its_time_of_day(
        tmp_path: Path) -> None:
    db = tmp_path / "rehab.db"
    seen = json.loads(killed_child(db, "run_timed").split(" ", 1)[1])
    [(wall_at, host_s)] = read_db(db, "SELECT wall_at, host_s FROM draft_gaps")
    assert wall_at is not None and host_s is not None  # the clock pair is on disk

    store = TherapyStore(db)  # the next start
    [rec] = recover_drafts(store, FhirEncoder("dev-1")).stored
    [(payload,)] = store._query("SELECT payload FROM outbox WHERE record_id = ?", (rec.id,))
    store.close()
    [obs] = [e["resource"] for e in json.loads(payload)["entry"]
             if e["resource"]["code"]["coding"][0]["code"] == fhir.GAP_CODE]
    period = obs["effectivePeriod"]
    assert period == seen["live"]  # as the live session would have sent it
    for key, wall in (("start", "lost"), ("end", "back")):
        off_s = (datetime.fromisoformat(period[key])
                 - datetime.fromisoformat(seen[wall])).total_seconds()
        assert abs(off_s) < 1.0, (key, period[key], seen[wall])
    assert 0.4 < obs["valueQuantity"]["value"] < 1.5
