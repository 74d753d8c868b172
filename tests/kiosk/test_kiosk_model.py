"""The kiosk model without Kivy: a real SessionController on simulated wearables, the
offline clinic's outbox, red flags, pain advice, settings and the message read marker."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kiosk.adapters.sources import SimSourceFactory
from kiosk.model import KioskModel
from kiosk.settings import check_secret, load_settings
from kiosk.vm.intake import IntakeVM
from therapy.ports import FakeClock
from therapy.records import Direction, Message


def _model(tmp: Path, **kw: object) -> KioskModel:
    return KioskModel(tmp / "data", sources=SimSourceFactory(speed=60.0), **kw)  # type: ignore[arg-type]


@pytest.mark.timeout(60)
async def test_exercise_run_stores_session_with_outbox_rows(tmp_path: Path) -> None:
    m = _model(tmp_path)
    plan, demo = m.plan()
    assert demo and plan.exercises[0].exercise_id == "knee_extension_seated"
    ex = dataclasses.replace(plan.exercises[0], sets=1, reps=3)
    run = m.start_exercise(ex)
    run.pain_before.choose(1)
    assert run.confirm_pain_before()
    run.start_set()
    assert run.set_running and run.live.demo
    assert run.task is not None
    await run.task
    run.poll()
    assert not run.more_sets and run.live.reps_total >= 2
    run.pain_after.choose(2)
    summary = m.finish_exercise()
    assert summary.pain_before == 1 and summary.pain_after == 2
    assert summary.last_mean_rom_deg is None  # first time
    assert m.outbox_waiting() == 3  # bundle + pain before + pain after
    assert m.today().items[0].sets_done == 1  # of the plan's 2: still next
    assert m.clinic.status_text().startswith("No clinic")
    m.close()


async def test_high_pain_before_is_sent_alone_and_no_session(tmp_path: Path) -> None:
    m = _model(tmp_path)
    run = m.start_exercise(m.plan()[0].exercises[0])
    run.pain_before.choose(9)
    assert not run.confirm_pain_before()
    assert m.store.session_ids() == [] and m.outbox_waiting() == 1
    rows = m.store.outbox_batch()
    assert b"[FLAG: pain 9/10" in rows[0].payload
    m.close()


def test_first_run_intake_then_daily_checkin_and_red_flag(tmp_path: Path) -> None:
    clock = FakeClock(datetime.now(timezone.utc))
    m = _model(tmp_path, clock=clock)
    vm = m.intake_needed()
    assert vm is not None and vm.first_run
    vm.condition = "About the same"
    for k in vm.flags:
        vm.answer(k, False)
    m.submit_intake(vm)
    assert m.intake_needed() is None and not m.red_flag_today()
    clock.advance(86400)
    check = m.intake_needed()
    assert check is not None and not check.first_run
    for k in check.flags:
        check.answer(k, k == "swelling")
    m.submit_intake(check)
    assert m.intake_needed() is None and m.red_flag_today()
    assert m.outbox_waiting() == 2
    m.close()


def test_settings_and_read_marker_persist(tmp_path: Path) -> None:
    clock = FakeClock(datetime.now(timezone.utc))
    m = _model(tmp_path, clock=clock)
    m.store.save_message(Message("a", Direction.TO_PATIENT, "hi",
                                 clock.now() - timedelta(minutes=1)))
    assert m.unread() == 1
    m.mark_messages_read()
    m.update_settings(dataclasses.replace(m.settings, lock_after_s=60.0).with_pin("8642"))
    m.reply("Thank you!")
    m.close()
    m2 = _model(tmp_path, clock=clock)
    assert m2.unread() == 0 and m2.lock.lock_after_s == 60.0
    assert check_secret("8642", load_settings(tmp_path / "data").pin_hash)
    assert [x.text for x in m2.messages().lines if x.mine] == ["Thank you!"]
    assert m2.outbox_waiting() == 2  # the reply and the settings change's AuditEvent
    m2.close()
    assert IntakeVM(first_run=False).questionnaire.endswith("daily-checkin")


async def test_signal_shows_weak_after_a_gap(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from kiosk.run import SIGNAL_WEAK_S

    t = [100.0]
    m = KioskModel(tmp_path / "d", sources=SimSourceFactory(speed=60.0),
                   monotonic=lambda: t[0])
    run = m.start_exercise(m.plan()[0].exercises[0])
    run.start_set()
    assert "signal good" in run.live.status_text
    run.analyzer = SimpleNamespace(samples_=50, gaps_=1, angle_deg_=3.0)  # type: ignore[assignment]
    run.poll()
    assert "signal weak" in run.live.status_text
    t[0] += SIGNAL_WEAK_S + 0.1
    run.poll()
    assert "signal good" in run.live.status_text
    run.stop()
    assert run.task is not None
    await run.task
    m.close()
