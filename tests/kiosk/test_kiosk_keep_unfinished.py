"""A kiosk stopped mid-exercise keeps what the patient did (issue 15, "lose no data"), without
Kivy: ``KioskModel.keep_unfinished`` (what the app's stop path calls) on a real session
controller over simulated wearables and the real SQLite store. Mid-set with reps confirmed
it stores one session, not completed, with exactly those reps, the pain before and their
outbox rows; a second stop, or the summary flow after it, stores nothing more; a run with
nothing done stores nothing."""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
from pathlib import Path

import pytest

from kiosk.adapters.history import History
from kiosk.adapters.sources import SimSourceFactory
from kiosk.model import KioskModel
from kiosk.run import ExerciseRun
from tests.helpers.waiting import until

pytestmark = pytest.mark.timeout(60)


def _model(tmp: Path) -> KioskModel:
    return KioskModel(tmp / "data", sources=SimSourceFactory(speed=8.0))


def _start(m: KioskModel, reps: int = 12, sets: int = 2) -> ExerciseRun:
    ex = dataclasses.replace(m.plan()[0].exercises[0], sets=sets, reps=reps)
    run = m.start_exercise(ex)
    run.pain_before.choose(3)
    assert run.confirm_pain_before()
    return run


def _stored(db: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]],
                               list[tuple[object, ...]]]:
    """The sessions, reps and outbox rows, read from the database file afresh."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return (con.execute("SELECT id, completed, rep_count, sets_done, ended_at "
                            "FROM sessions").fetchall(),
                con.execute("SELECT session_id, set_no, n, rom_deg FROM reps "
                            "ORDER BY set_no, n").fetchall(),
                con.execute("SELECT channel, record_id FROM outbox ORDER BY id").fetchall())
    finally:
        con.close()


async def test_stop_mid_set_keeps_the_confirmed_reps_once(tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture
                                                          ) -> None:
    caplog.set_level(logging.INFO, logger="kiosk.model")
    m = _model(tmp_path)
    run = _start(m)
    run.start_set()
    assert run.set_running
    await until(lambda: len(run.ctl.reps_) >= 2, 30, "two reps confirmed")
    assert run.set_running  # still mid-set: the running set's reps are what is kept
    confirmed = [(r.set_no, r.n, r.rom_deg) for r in run.ctl.reps_]

    rec = m.keep_unfinished()
    assert rec is not None and not rec.completed and rec.sets_done == 1
    assert [(r.set_no, r.n, r.rom_deg) for r in rec.reps] == confirmed
    sessions, reps, outbox = _stored(m.store.path)
    assert [(s[0], s[1], s[2], s[3]) for s in sessions] == [
        (run.ctl.session_id, 0, len(confirmed), 1)]
    assert reps == [(run.ctl.session_id, *c) for c in confirmed]
    assert len(outbox) == 2  # the session's bundle and its pain before
    assert run.ctl.session_id in {r[1] for r in outbox}
    row = History(m.store.path).sessions()[0]
    assert row.pain_before == 3 and row.pain_after is None and not row.completed

    # a second stop, and the summary flow after it, store nothing more
    assert m.keep_unfinished() is None
    kept = [r.getMessage() for r in caplog.records if r.name == "kiosk.model"]
    assert kept == [f"kiosk stopping mid-exercise: kept session {rec.id} "
                    f"(knee_extension_seated) as not completed: {len(confirmed)} reps "
                    "in 1 of 2 sets"]
    assert run.task is not None
    await run.task  # the set ends at its next chunk: no further set starts
    assert not run.more_sets
    run.start_set()
    assert not run.set_running
    run.pain_after.choose(1)
    summary = m.finish_exercise()
    assert summary is not None
    assert _stored(m.store.path) == (sessions, reps, outbox)
    m.close()


async def test_stop_after_a_finished_set_keeps_it_and_the_pain_before(tmp_path: Path) -> None:
    """Between sets (one of two done): the done set's reps, not completed."""
    m = _model(tmp_path)
    run = _start(m, reps=2)
    run.start_set()
    assert run.task is not None
    await run.task
    done = len(run.ctl.reps_)
    assert done >= 1 and run.more_sets
    rec = m.keep_unfinished()
    assert rec is not None and not rec.completed and rec.rep_count == done
    sessions, reps, _outbox = _stored(m.store.path)
    assert len(sessions) == 1 and len(reps) == done
    m.close()


async def test_pain_before_alone_is_kept(tmp_path: Path) -> None:
    """Pain before confirmed, the set not begun: the report is what the patient did."""
    m = _model(tmp_path)
    run = _start(m)
    rec = m.keep_unfinished()
    assert rec is not None and rec.rep_count == 0 and not rec.completed
    assert [p.rating for p in rec.pains] == [3]
    sessions, reps, outbox = _stored(m.store.path)
    assert len(sessions) == 1 and reps == [] and len(outbox) == 2
    assert m.run is run
    m.close()


async def test_nothing_done_stores_nothing(tmp_path: Path) -> None:
    m = _model(tmp_path)
    assert m.keep_unfinished() is None  # no exercise at all
    ex = m.plan()[0].exercises[0]
    run = m.start_exercise(ex)  # on the pain screen, nothing answered
    assert m.keep_unfinished() is None
    run.pain_before.choose(2)  # chosen but not confirmed: not a report yet
    assert m.keep_unfinished() is None
    assert _stored(m.store.path) == ([], [], [])
    m.close()


async def test_flagged_pain_before_is_not_stored_twice(tmp_path: Path) -> None:
    """A pain before of 9 is not exercising: its report went to the clinic on its own; the
    stop adds no session (nor a second copy of the report)."""
    m = _model(tmp_path)
    run = m.start_exercise(m.plan()[0].exercises[0])
    run.pain_before.choose(9)
    assert not run.confirm_pain_before()
    assert m.keep_unfinished() is None
    sessions, _reps, outbox = _stored(m.store.path)
    assert sessions == [] and len(outbox) == 1
    m.close()
