"""A whole day on the kiosk, driven by real touches on simulated wearables, offscreen:
unlock, first-run intake, start an exercise, pain before, two live sets, pain after,
summary, lock — ending with the records (and their outbox rows) in the store."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy  # noqa: E402

configure_kivy((800, 480), fullscreen=False, pi=False)

from kiosk.adapters.history import History  # noqa: E402
from kiosk.adapters.sources import SimSourceFactory  # noqa: E402
from kiosk.model import KioskModel  # noqa: E402
from kiosk.vm.intake import INTAKE_ID  # noqa: E402
from day_plan import PLAN, REPS  # noqa: E402
from tests.helpers.kiosk_touch import (TEST_CODE, TEST_PIN, enter, provision,
                                       running_kiosk, tap, texts, until)
from flow_helpers import silent_audio  # noqa: E402
from therapy.plan import parse_plan  # noqa: E402
from therapy.records import Direction, Message  # noqa: E402
from therapy.store import TherapyStore  # noqa: E402


@pytest.mark.timeout(120)
async def test_kiosk_whole_day_by_touch(tmp_path: Path) -> None:
    provision(tmp_path / "data")
    model = KioskModel(tmp_path / "data", sources=SimSourceFactory(speed=8.0))
    text = json.dumps(PLAN)
    model.store.save_plan(parse_plan(PLAN), text, datetime.now(timezone.utc))
    model.store.save_message(Message("m1", Direction.TO_PATIENT, "Keep the holds slow.",
                                     datetime.now(timezone.utc)))
    audio = silent_audio()
    async with running_kiosk(model, pin=None, audio=audio) as app:
        assert app.sm.current == "lock"
        assert not any("knee" in t.lower() for t in texts(app)), "health data on lock screen"
        for d in "9999":
            await tap(app, d)
        await tap(app, "OK")
        assert app.sm.current == "lock" and "not right" in " ".join(texts(app))
        await enter(app, TEST_PIN)
        assert app.sm.current == "intake"  # first run
        assert app.bar.badge.count == 1  # the therapist's unread message
        await tap(app, "About the same")
        await tap(app, "Climb stairs")
        for i in range(5):  # each red-flag question: No
            await tap(app, "No", index=i)
        await tap(app, "Send answers")
        assert app.sm.current == "today", texts(app)

        await tap(app, "Start")
        assert app.sm.current == "pain"
        await tap(app, "2")
        await tap(app, "Continue")
        assert app.sm.current == "instruction"
        await tap(app, "Start set 1")
        assert app.sm.current == "live"
        run = model.run
        assert run is not None
        await until(lambda: run.live.reps_in_set >= 1, 30, "a rep")
        assert "Demo sensor" in run.live.status_text
        await until(lambda: run.live.resting, 40, "the end of set 1")
        await tap(app, "Start next set")
        await until(lambda: run.live.set_no == 2 and run.live.running, 10, "set 2")
        await until(lambda: app.sm.current == "pain", 40, "pain after")
        # The pain screen is rebuilt once more as the set's end is handled; a tap that lands
        # between a rebuild and its layout pass (a fraction of a frame: no hand is that quick)
        # is lost, as it would be on the device, and the patient taps again.
        for _ in range(3):
            await tap(app, "3")
            if app.flow.pain_vm.rating == 3:
                break
        assert app.flow.pain_vm.rating == 3, texts(app)
        await tap(app, "Stiff")
        await tap(app, "Continue")  # the record is written off the UI thread
        await until(lambda: app.sm.current == "summary", 5, "the summary")
        shown = " ".join(texts(app))
        assert f"of {2 * REPS}" in shown and "Pain before 2 / after 3" in shown
        await tap(app, "Done")
        assert app.sm.current == "feedback"  # how did it go?
        await tap(app, "Just right")
        await tap(app, "I felt stiff")
        await tap(app, "Write in my own words")
        assert app.sm.current == "compose"
        for key in ("O", "k"):  # a capital first, on the on-screen keyboard
            await tap(app, key)
        await tap(app, "Use")
        assert app.sm.current == "feedback" and "“Ok”" in texts(app)
        await tap(app, "Send to my therapist")
        assert app.sm.current == "today"
        assert any(t.startswith("✓") for t in texts(app))
        await tap(app, "Messages")
        await tap(app, "Thank you!")
        assert app.bar.badge.count == 0
        await tap(app, "Write a message")
        for key in ("H", "i"):
            await tap(app, key)
        await tap(app, "Send")
        assert app.sm.current == "messages" and "Sent to your therapist." in texts(app)
        await tap(app, "Settings")  # the patient's own: no code
        assert app.sm.current == "settings"
        await tap(app, "Large")
        assert model.settings.text_scale == 1.2 and app.sm.current == "settings"
        await tap(app, "Installer settings")  # behind the installer code
        assert app.sm.current == "lock" and "installer code" in " ".join(texts(app))
        await enter(app, TEST_PIN)  # the patient's PIN does not open them
        assert app.sm.current == "lock" and "not right" in " ".join(texts(app))
        await enter(app, TEST_CODE)
        assert app.sm.current == "installer"
        await tap(app, "Today")
        assert app.sm.current == "today"
        await tap(app, "Lock")
        assert app.sm.current == "lock"
        await enter(app, TEST_PIN)
        model.lock.lock_after_s = 1.0  # inactivity lock
        # the lock screen alone, its slide-in over (during it the old screen is still drawn)
        await until(lambda: app.sm.current == "lock" and not app.sm.transition.is_active, 5,
                    "the inactivity lock")
        assert not any("knee" in t.lower() for t in texts(app)), texts(app)
        assert any(s.isdigit() or s.startswith("Set") for s in audio.spoken)

    hist = History(model.store.path)  # the kiosk closed its model: what it stored
    (row,) = hist.sessions()
    assert row.exercise_id == "knee_extension_seated" and row.sets_done == 2
    assert REPS <= row.rep_count <= 2 * REPS  # the motion core's count (tests/motion owns it)
    assert (row.pain_before, row.pain_after) == (2, 3)
    intake = hist.last_questionnaire(INTAKE_ID)
    assert intake is not None and intake[1]["red_flag"] is False
    assert intake[1]["condition"] == "About the same"
    hist.close()
    store = TherapyStore(model.store.path)
    ids = store.record_ids()
    assert row.id in ids
    replies = [m for m in store.messages() if m.direction == Direction.TO_THERAPIST]
    assert [m.text for m in replies] == ["Thank you!", "Hi"]
    (feedback,) = store._query("SELECT session_id, rating, text FROM feedback")
    assert feedback == (row.id, 3, "Effort: Just right. I felt stiff. Ok")
    # offline: session bundle + 2 pain observations + intake + feedback + 2 messages all
    # wait to be sent,
    # and the day's security events (therapy/audit.py) as AuditEvents beside them
    audit = [(str(a.kind), str(a.outcome), str(a.actor)) for a in store.audit_records()]
    assert audit == [("pin_failed", "failure", "patient"), ("unlocked", "success", "patient"),
                     ("settings_changed", "success", "patient"),  # their own text size
                     ("code_failed", "failure", "installer"),
                     ("code_accepted", "success", "installer"),
                     ("locked", "success", "patient"),
                     ("unlocked", "success", "patient"), ("locked", "success", "device")]
    assert store.outbox_count() == 7 + len(audit)
    store.close()
