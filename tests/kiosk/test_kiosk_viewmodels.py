"""View-models without Kivy: lock, pain advice, live set, today, summary, progress,
messages, intake, reminders. Also checks that none of them imports Kivy."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from kiosk.adapters.history import SessionRow
from kiosk.settings import KioskSettings, SettingsError, check_secret, hash_secret
from kiosk.vm.intake import INTAKE_ID, IntakeVM
from kiosk.vm.live import LiveSetVM, cue_for
from kiosk.vm.lock import TRIES_PER_STEP, LockVM
from kiosk.vm.messages import build_messages, unread_count
from kiosk.vm.pain import PainStage, PainVM
from kiosk.vm.progress import build_progress
from kiosk.vm.reminders import appointment_lines, due_reminder, live_appointment
from kiosk.vm.summary import build_summary
from kiosk.vm.today import build_today, streak
from motion.types import QualityFlag, Rep
from therapy.plan import exercise_from_catalogue, parse_plan
from therapy.ports import EventKind, SessionEvent
from therapy.records import (Appointment, Direction, Message, PainPhase, PainReport, RepRecord,
                             SessionRecord)

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=timezone.utc)  # a Wednesday
KNEE = exercise_from_catalogue("knee_extension_seated")


def _row(days_ago: float, ex: str = "knee_extension_seated", reps: int = 10, sets: int = 2,
         rom: float | None = 60.0, pb: int | None = 3, pa: int | None = 2) -> SessionRow:
    return SessionRow(f"s{days_ago}{ex}", ex, NOW - timedelta(days=days_ago), reps, sets, True,
                      70.0, rom, pb, pa)


def _rep(n: int, rom: float = 65.0, hold: float = 3.0,
         flags: tuple[QualityFlag, ...] = ()) -> Rep:
    return Rep(n, 0.0, 1.0, 2.0, 2.1, rom, hold, 1.5, 1.5, rom, flags)


def test_no_view_model_imports_kivy(modules_loaded_by) -> None:
    loaded = modules_loaded_by(
        "kiosk.model", "kiosk.vm.live", "kiosk.vm.today", "kiosk.vm.pain", "kiosk.vm.summary",
        "kiosk.vm.progress", "kiosk.vm.messages", "kiosk.vm.intake", "kiosk.vm.reminders",
        "kiosk.vm.lock")
    assert sorted(m for m in loaded if m.split(".")[0] == "kivy") == []


def test_pin_hash_and_lock_flow() -> None:
    s = KioskSettings().with_pin("2468")
    assert check_secret("2468", s.pin_hash) and not check_secret("2469", s.pin_hash)
    assert not check_secret("1", "garbage") and not check_secret("", "")
    with pytest.raises(SettingsError):
        s.with_pin("12")
    lock = LockVM(hash_secret("2468"), lock_after_s=300)
    for d in "2468":
        lock.press(d, 0.0)
    assert lock.dots == "● ● ● ●"
    assert lock.submit(1.0) and not lock.locked
    assert not lock.tick(200.0) and lock.tick(301.0) and lock.locked
    lock.locked = False
    lock.touch(400.0)
    assert not lock.tick(600.0, busy=True)  # never locks while a set is being done
    assert not lock.tick(899.0) and lock.tick(900.0)


def test_lock_backs_off_after_wrong_pins() -> None:
    lock = LockVM(hash_secret("2468"), 300)
    for _ in range(TRIES_PER_STEP):
        lock.press("1", 0.0)
        assert not lock.submit(0.0)
    assert "wait" in lock.message(0.0)
    for d in "2468":
        lock.press(d, 1.0)
    assert not lock.submit(1.0) and lock.locked  # even the right PIN waits
    for d in "2468":
        lock.press(d, 40.0)
    assert lock.submit(40.0)


@pytest.mark.parametrize("before,after,flagged", [
    (None, 8, True), (5, 7, False), (2, 5, True), (3, 4, False), (None, 0, False),
    (5, 10, True)])
def test_pain_advice_high_or_sharp_rise(before: int | None, after: int, flagged: bool) -> None:
    vm = PainVM(PainStage.AFTER, before=before)
    vm.choose(after)
    assert vm.flagged is flagged
    assert bool(vm.advice) is flagged
    assert vm.note_text.startswith("[FLAG") is flagged


def test_pain_notes_and_range() -> None:
    vm = PainVM(PainStage.BEFORE)
    assert "right now" in vm.question
    with pytest.raises(ValueError):
        vm.choose(11)
    vm.choose(3)
    vm.toggle_note("Stiff")
    vm.toggle_note("Tired")
    vm.toggle_note("Stiff")
    assert vm.note_text == "Tired"


def test_cues_from_quality_flags() -> None:
    assert cue_for(_rep(1), KNEE, True) == "Good rep!"
    assert cue_for(_rep(1, flags=(QualityFlag.INCOMPLETE_ROM,)), KNEE, True) == "Lift higher"
    assert cue_for(_rep(1, flags=(QualityFlag.INCOMPLETE_ROM,)), KNEE, False) == \
        "Go a little further"
    assert cue_for(_rep(1, hold=1.2, flags=(QualityFlag.SHORT_HOLD,)), KNEE, True) == \
        "Hold 2 more seconds"
    assert cue_for(_rep(1, flags=(QualityFlag.TOO_FAST,)), KNEE, True) == "Slow down"


def _ev(kind: EventKind, set_no: int = 1, rep: Rep | None = None) -> SessionEvent:
    return SessionEvent(kind, "sid", KNEE.exercise_id, set_no, NOW, rep)


def test_live_set_counts_holds_and_rests() -> None:
    vm = LiveSetVM(KNEE)
    vm.on_event(_ev(EventKind.SET_STARTED), 0.0)
    assert vm.set_text == "Set 1 of 2" and vm.timer_text == "Time 0:00"
    for i in range(20):
        vm.on_angle(10.0, 0.1 * i)  # rest angle = baseline
    assert vm.angle_deg == 0.0 and vm.hold_text == "Lift into the green band"
    vm.on_angle(10.0 + 70.0, 5.0)  # into the band
    assert vm.in_band
    vm.on_angle(80.0, 6.2)
    assert vm.hold_text == "Hold … 2"
    vm.on_angle(80.0, 8.1)
    assert vm.hold_text == "Now back down slowly"
    vm.on_event(_ev(EventKind.REP, rep=_rep(1, flags=(QualityFlag.TOO_FAST,))), 9.0)
    assert vm.rep_text == "1" and vm.cue == "Slow down" and vm.flag_counts == {"too_fast": 1}
    vm.tick(9.0 + 4.0)
    assert vm.cue == ""
    vm.on_event(_ev(EventKind.PAUSED), 14.0)
    assert vm.paused and vm.hold_text == ""
    vm.on_event(_ev(EventKind.RESUMED), 15.0)
    vm.on_event(_ev(EventKind.SET_ENDED), 20.0)
    assert vm.resting and vm.timer_text.startswith("Rest")
    vm.tick(20.0 + KNEE.rest_s + 0.1)
    assert vm.rest_over
    assert vm.pop_speech() == ["Set 1. Begin when ready.", "1. Slow down", "Set done. Rest now."]
    lo, hi = vm.band_deg
    assert lo < KNEE.target_rom_deg < hi <= vm.gauge_max_deg


def test_today_next_exercise_streak_and_rest_day() -> None:
    plan = parse_plan({"plan_id": "p", "version": 2, "valid_from": "2026-01-01T00:00:00Z",
                       "valid_until": "2027-01-01T00:00:00Z",
                       "schedule": {"days": ["mon", "wed"], "sessions_per_day": 1},
                       "exercises": [{"exercise_id": "knee_extension_seated", "sets": 2},
                                     {"exercise_id": "heel_slide", "sets": 1}]})
    rows = [_row(0.1), _row(1), _row(2), _row(4)]
    vm = build_today(plan, rows, NOW)
    assert [i.done for i in vm.items] == [True, False]
    assert vm.next_item is not None and vm.next_item.exercise.exercise_id == "heel_slide"
    assert vm.streak_days == 3 and vm.exercise_day and "1 exercise left" in vm.headline
    assert vm.items[0].progress_text == "2 of 2 sets  ·  10 of 20 reps"
    thursday = build_today(plan, rows, NOW + timedelta(days=1))
    assert not thursday.exercise_day and thursday.headline.startswith("Rest day")
    assert streak([], NOW.date()) == 0


def test_summary_compares_with_last_time() -> None:
    reps = tuple(RepRecord(1, n, 0, 1, rom, 3, 1, 1, flags)
                 for n, (rom, flags) in enumerate([(60.0, ()), (66.0, ()),
                                                   (40.0, ("incomplete_rom",))], 1))
    pains = (PainReport("a", 2, PainPhase.BEFORE, NOW, "x"),
             PainReport("b", 3, PainPhase.AFTER, NOW, "x"))
    rec = SessionRecord("x", KNEE.exercise_id, "right", "knee", NOW, NOW, 1, 3, 70.0, 3.0,
                        reps, 1, True, pains=pains)
    vm = build_summary(rec, "Knee", _row(2, rom=50.0))
    assert vm.headline == "Well done! 3 reps of 3."
    assert vm.quality_text == "2 good  ·  1 not far enough"
    assert "55° (target 70°), more than last time (50°)" in vm.compare_text
    assert vm.pain_text == "Pain before 2 / after 3 (0-10)"
    first = build_summary(rec, "Knee", None)
    assert "First time" in first.compare_text


def test_progress_series_and_calendar() -> None:
    rows = [_row(d, rom=50.0 + d) for d in (0.2, 1, 3)] + [_row(40)]
    vm = build_progress(rows, {"knee_extension_seated": "Knee", "heel_slide": "Heel"},
                        {"mon", "wed", "fri"}, NOW)
    assert len(vm.rom) == 2 and len(vm.rom[0].points) == 3 and not vm.rom[1].points
    assert vm.rom[0].target == 70.0 and vm.reps_per_day[-1] == 10
    assert len(vm.calendar) == 28 and vm.calendar[-1][2]
    assert len(vm.pain_before.points) == 3 and not vm.empty


def test_messages_unread_until_seen() -> None:
    msgs = [Message("1", Direction.TO_PATIENT, "Hello", NOW - timedelta(hours=2), NOW),
            Message("2", Direction.TO_THERAPIST, "Hi", NOW - timedelta(hours=1)),
            Message("3", Direction.TO_PATIENT, "Keep going", NOW - timedelta(minutes=5), NOW)]
    assert unread_count(msgs, None) == 2
    assert unread_count(msgs, NOW - timedelta(minutes=30)) == 1
    vm = build_messages(msgs, NOW, NOW - timedelta(minutes=30))
    assert [(m.mine, m.unread) for m in vm.lines] == [(False, False), (True, False),
                                                      (False, True)]
    assert vm.unread == 1 and vm.unread_ids == ("3",)


def test_intake_red_flags_make_a_questionnaire_response() -> None:
    vm = IntakeVM(first_run=True)
    assert not vm.complete
    vm.toggle_goal("Climb stairs")
    vm.condition = "About the same"
    for k in vm.flags:
        vm.answer(k, False)
    assert vm.complete and not vm.red_flag
    vm.answer("fall", True)
    q = vm.answers(NOW)
    assert q.questionnaire == INTAKE_ID and vm.red_flag
    assert dict(q.answers)["redflag.fall"] is True and dict(q.answers)["red_flag"] is True
    assert dict(q.answers)["goals"] == "Climb stairs"
    from therapy.fhir import questionnaire_response

    res = questionnaire_response(q, "dev-1")
    assert res["resourceType"] == "QuestionnaireResponse"
    with pytest.raises(KeyError):
        vm.answer("nonsense", True)


def test_reminders_fire_once_and_appointments_count_down() -> None:
    local = NOW.astimezone()
    at10 = local.replace(hour=10, minute=5)
    assert due_reminder(("10:00", "17:00"), 1, True, at10, None, False) == "10:00"
    assert due_reminder(("10:00", "17:00"), 1, True, at10, at10, False) is None
    assert due_reminder(("10:00", "17:00"), 1, True, at10, None, True) is None
    assert due_reminder(("10:00", "17:00"), 1, False, at10, None, False) is None
    assert due_reminder(("10:00", "17:00"), 1, True, local.replace(hour=17, minute=1), None,
                        False) is None  # only one session a day
    appts = [Appointment("old", NOW - timedelta(days=1), 30),
             Appointment("soon", NOW + timedelta(hours=1, minutes=30), 30),
             Appointment("now", NOW - timedelta(minutes=5), 30)]
    lines = appointment_lines(appts, NOW)
    assert [(a.id, a.live_now) for a in lines] == [("soon", False), ("now", True)]
    assert "(in 1 h 30 min)" in lines[0].text
    assert live_appointment(appts, NOW) == "now"
