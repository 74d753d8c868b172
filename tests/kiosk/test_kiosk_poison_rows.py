"""Issue 12 #5 (poison rows) and #10 (malformed clinic key) on the kiosk, without Kivy:
rows an older version stored (an appointment at 9999-12-31 or 0001-01-01, a message dated
year 1 at +14:00) are skipped, logged once and counted by the view-models, and the rest
shows; a malformed ``clinic_public_key`` lets the kiosk start and says why plans are
refused."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kiosk.adapters.sources import SimSourceFactory
from kiosk.model import KioskModel
from kiosk.vm.quarantine import QUARANTINE
from therapy.ports import FakeClock
from therapy.records import Appointment, Direction, Message, new_id

NOW = datetime(2026, 6, 1, 10, 0, tzinfo=timezone.utc)
PLUS14 = timezone(timedelta(hours=14))


def _model(tmp: Path) -> KioskModel:
    return KioskModel(tmp / "data", sources=SimSourceFactory(speed=60.0), clock=FakeClock(NOW))


def test_poison_rows_are_quarantined_and_the_rest_shows(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    m = _model(tmp_path)
    ids = {k: f"{k}-{new_id()}" for k in ("far", "year1", "soon", "live", "msg1", "msg")}
    m.store.save_appointment(Appointment(ids["far"],
                                         datetime(9999, 12, 31, 23, 59, tzinfo=timezone.utc),
                                         30))
    m.store.save_appointment(Appointment(ids["year1"], datetime(1, 1, 1, tzinfo=timezone.utc),
                                         30))
    m.store.save_appointment(Appointment(ids["soon"], NOW + timedelta(days=1), 45))
    m.store.save_appointment(Appointment(ids["live"], NOW - timedelta(minutes=5), 30))
    m.store.save_message(Message(ids["msg1"], Direction.TO_PATIENT, "from year 1",
                                 datetime(1, 1, 1, 0, 0, tzinfo=PLUS14)))
    m.store.save_message(Message(ids["msg"], Direction.TO_PATIENT, "Slow on the way down",
                                 NOW - timedelta(hours=1)))
    before = dict(QUARANTINE.counts)
    with caplog.at_level(logging.WARNING, "kiosk.vm.quarantine"):
        for _ in range(2):  # every screen refresh: the rows stay stored
            today = m.today()  # Today screen
            lines = m.appointments()  # Today screen's appointment lines
            msgs = m.messages()  # Messages screen
            unread = m.unread()  # badge on every screen
            plan, _demo = m.plan()
            run = m.start_exercise(dataclasses.replace(plan.exercises[0], sets=1, reps=2))
    assert today.items and [ln.id for ln in lines] == [ids["live"], ids["soon"]]
    assert lines[0].live_now and lines[1].text.startswith("Live session ")
    assert run.ctl.appointment_id == ids["live"]  # exercise start joins the live session
    assert [ln.text for ln in msgs.lines] == ["Slow on the way down"] and unread == 1
    got = {k: QUARANTINE.counts[k] - before.get(k, 0) for k in ("appointment", "message")}
    assert got == {"appointment": 2, "message": 1}
    logged = [r.getMessage() for r in caplog.records if "cannot be shown" in r.getMessage()]
    assert len(logged) == 3  # once per row, not per refresh
    assert any(ids["far"] in line for line in logged)
    m.close()


def test_malformed_clinic_key_kiosk_starts_and_says_why(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "rehab.toml").write_text('broker = "mqtt://127.0.0.1:9"\ndevice = "dev-1"\n'
                                     'clinic = "c1"\nclinic_public_key = "not a key"\n')
    m = _model(tmp_path)
    try:
        assert "clinic key invalid: plans cannot be verified" in m.clinic.status_text()
        assert m.today().items  # the kiosk works: demo plan, records still go out
    finally:
        m.close()
