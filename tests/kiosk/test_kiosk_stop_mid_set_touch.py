"""The running kiosk app (offscreen, 800x480) stopped mid-set keeps the set (issue 15, "lose
no data"): a set of 20 reps on simulated wearables, two reps confirmed, then the app stops
as systemd's SIGTERM stops it (App.stop -> KioskApp.on_stop); the database file, opened
afresh once the model is closed, holds the session, not completed, with those reps and
its pain before, and their outbox rows. Before, nothing of it was stored. The same with a
real SIGTERM to this process while ``run_app`` (what ``rehab kiosk`` runs) drives the app:
its handler stops the app, and the set is in the file once ``run_app`` has returned."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import tempfile
from pathlib import Path

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy

configure_kivy((800, 480), fullscreen=False, pi=False)

from tests.helpers.flow_set import begin_one_set  # noqa: I001
from tests.helpers.kiosk_touch import TEST_PIN, enter, provision, running_kiosk, until
from flow_helpers import silent_audio

from kiosk.adapters.sources import SimSourceFactory
from kiosk.model import KioskModel
from kiosk.ui.app import KioskApp, run_app

pytestmark = pytest.mark.timeout(90)


async def test_stopping_the_app_mid_set_keeps_its_reps(tmp_path: Path) -> None:
    data = tmp_path / "dev"
    provision(data)
    model = KioskModel(data, sources=SimSourceFactory(speed=4.0))
    async with running_kiosk(model, audio=silent_audio()) as app:
        begin_one_set(app.flow, "knee_extension_seated", 20, pain=2)
        await until(lambda: app.sm.current == "live", 5, "the live set")
        run = model.run
        assert run is not None
        await until(lambda: len(run.ctl.reps_) >= 2, 45, "two reps confirmed")
        assert run.set_running
        session_id = run.ctl.session_id
        confirmed = [(r.set_no, r.n, r.rom_deg) for r in run.ctl.reps_]
        # leaving the block stops the app (no await before it: no rep comes in between)

    _check_kept(data / "rehab.db", session_id, confirmed)


async def test_sigterm_mid_set_keeps_its_reps(tmp_path: Path) -> None:
    data = tmp_path / "dev"
    provision(data)
    model = KioskModel(data, sources=SimSourceFactory(speed=4.0))
    app = KioskApp(model, audio=silent_audio())
    task = asyncio.ensure_future(run_app(app))
    try:
        await asyncio.wait_for(app.first_frame.wait(), 30)
        await enter(app, TEST_PIN)
        begin_one_set(app.flow, "knee_extension_seated", 20, pain=2)
        run = model.run
        assert run is not None
        await until(lambda: len(run.ctl.reps_) >= 2, 45, "two reps confirmed")
        os.kill(os.getpid(), signal.SIGTERM)  # systemd stopping the service
        await asyncio.wait_for(task, 10)
    finally:
        if not task.done():
            app.stop()
            await asyncio.wait_for(task, 10)
        model.close()
    rec = run.ctl.record_
    assert rec is not None and len(rec.reps) >= 2
    _check_kept(data / "rehab.db", rec.id, [(r.set_no, r.n, r.rom_deg) for r in rec.reps])


def _check_kept(db: Path, session_id: str, confirmed: list[tuple[int, int, float]]) -> None:
    """The database file, opened afresh: the session not completed, with ``confirmed``
    reps (set, number, ROM), its pain before of 2, and the outbox rows of both."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        sessions = con.execute("SELECT id, completed, rep_count, sets_done FROM sessions")
        assert sessions.fetchall() == [(session_id, 0, len(confirmed), 1)]
        reps = con.execute("SELECT set_no, n, rom_deg FROM reps WHERE session_id = ? "
                           "ORDER BY n", (session_id,)).fetchall()
        assert reps == confirmed and len(reps) >= 2
        pains = con.execute("SELECT id, rating FROM pain_reports WHERE session_id = ?",
                            (session_id,)).fetchall()
        assert [p[1] for p in pains] == [2]
        # beside the unlock's audit record: the session's bundle and its pain before
        outbox = {r[0] for r in con.execute("SELECT record_id FROM outbox")}
        assert {session_id, pains[0][0]} <= outbox
    finally:
        con.close()
