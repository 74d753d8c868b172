"""Back to the visit (issue 16), through the Kivy-free flow with the fake call adapter: a
set started during a connected call shows a bar "Back to your therapist" (camera and
microphone on, and recording when the clinic records) on every screen of the set; it
returns to the call's screen while the call keeps running, and from there "Back to your
exercise" returns to the set, which counted on meanwhile and goes on to its end. The bar
is gone when the call ends, and never shows on the lock screen."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from flow_helpers import until
from visit_kiosk import in_call, kiosk
from kiosk.vm.flow_visit import BACK_TO_SET, BACK_TO_VISIT, CALL_RECORDING, CALL_RUNNING
from kiosk.vm.visit import Phase
from mqtt.visit import HangUp, RecordRequest
from therapy.plan import exercise_from_catalogue


@pytest.mark.timeout(60)
async def test_back_to_the_therapist_from_a_set_and_back_to_the_set(tmp_path: Path) -> None:
    k = kiosk(tmp_path / "d")
    flow, vm, model, calls, screens = k.flow, k.vm, k.model, k.calls, k.screens
    try:
        await in_call(k, 1)
        assert flow.current == "visit" and flow.visit_bar() is None  # nothing to go back to

        # the patient goes to Today and starts a set: the bar says the call is on
        flow.go("today")
        bar = flow.visit_bar()
        assert bar is not None and (bar.text, bar.button) == (CALL_RUNNING, BACK_TO_VISIT)
        ex = dataclasses.replace(exercise_from_catalogue("knee_extension_seated"), sets=1,
                                 reps=6)
        flow.start_exercise(ex)
        assert flow.current == "pain" and flow.visit_bar() is not None
        flow.pain_vm.choose(1)
        flow.pain_done()
        flow.begin_set()
        assert flow.current == "live" and flow.visit_bar() == bar
        run = model.run
        assert run is not None
        await until(lambda: run.live.reps_in_set >= 1, 30, "a rep", flow.frame)

        # Back to your therapist: the call's screen, the call still running
        flow.visit_bar_pressed()
        assert flow.current == "visit" and screens.shown[-1] == ("visit", True)
        assert vm.phase == Phase.IN_CALL and calls[0].state == "connected"
        back = flow.visit_bar()
        assert back is not None and back.button == BACK_TO_SET
        n = run.live.reps_in_set  # the set counts on behind the call (no frame ticks here)
        await until(lambda: run.live.reps_in_set > n, 30, "a rep counted behind the call")
        # the therapist asks to record, the patient agrees: the bar turns to recording
        vm.signal(RecordRequest("call-1"))
        vm.consent_recording(True)
        flow.visit_bar_pressed()  # Back to your exercise
        assert flow.current == "live" and model.run is run
        rec = flow.visit_bar()
        assert rec is not None and rec.recording and rec.text == CALL_RECORDING

        # the set goes on to its end, the call keeps running beside it
        await until(lambda: flow.current == "pain", 30, "pain after", flow.frame)
        assert flow.visit_bar() is not None and vm.phase == Phase.IN_CALL
        flow.pain_vm.choose(1)
        flow.pain_done()
        await until(lambda: flow.current == "summary", 20, "the summary")
        assert calls[0].state == "connected"

        # the therapist hangs up while the patient is on the summary: no bar, stays there
        vm.signal(HangUp("call-1", "end of the appointment"))
        await until(lambda: vm.phase == Phase.ENDED, 5, "the call to end")
        assert flow.visit_bar() is None and flow.current == "summary"
        flow.visit_bar_pressed()  # a stale touch does nothing
        assert flow.current == "summary"
    finally:
        model.close()


async def test_the_call_ends_on_its_screen_and_ok_returns_to_the_open_set(
        tmp_path: Path) -> None:
    k = kiosk(tmp_path / "d")
    flow, vm, model = k.flow, k.vm, k.model
    try:
        await in_call(k, 2)
        flow.start_exercise(exercise_from_catalogue("knee_extension_seated"))
        assert flow.current == "pain"
        flow.visit_bar_pressed()
        assert flow.current == "visit"
        await vm.hang_up()  # the patient hangs up on the call's screen
        assert flow.visit_bar() is None
        flow.visit_done()  # OK: back to the set's screen it left, not to where it rang
        assert flow.current == "pain" and model.run is not None
        flow.go("lock")
        assert flow.visit_bar() is None
    finally:
        model.close()


async def test_a_record_request_during_a_set_brings_the_question_up(tmp_path: Path) -> None:
    k = kiosk(tmp_path / "d")
    flow, vm, model = k.flow, k.vm, k.model
    try:
        await in_call(k, 3)
        flow.start_exercise(exercise_from_catalogue("knee_extension_seated"))
        assert flow.current == "pain"
        vm.signal(RecordRequest("call-3"))  # the patient is on the set's pain screen
        assert flow.current == "visit" and vm.view().record_prompt
        vm.consent_recording(False)
        bar = flow.visit_bar()
        assert bar is not None and bar.button == BACK_TO_SET
        flow.visit_bar_pressed()
        assert flow.current == "pain" and model.run is not None
    finally:
        model.close()

