"""Back to the visit (issue 16), through the Kivy-free flow with the fake call adapter: a
set started during a connected call shows a bar "Back to your therapist" (camera and
microphone on, and recording when the clinic records) on every screen of the set; it
returns to the call's screen while the call keeps running, and from there "Back to your
exercise" returns to the set, which counted on meanwhile and goes on to its end. The bar
is gone when the call ends, and never shows on the lock screen."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fake_navigator import Monotonic, Screens
from flow_helpers import silent_audio, until
from kiosk.adapters.call import FakeCall
from kiosk.adapters.sources import SimSourceFactory
from kiosk.model import KioskModel
from kiosk.settings import load_settings, save_settings
from kiosk.vm.flow import KioskFlow
from kiosk.vm.flow_visit import BACK_TO_SET, BACK_TO_VISIT, CALL_RECORDING, CALL_RUNNING
from kiosk.vm.visit import Phase, VisitVM
from mqtt.visit import HangUp, Offer, RecordRequest
from therapy.plan import exercise_from_catalogue
from therapy.ports import FakeClock

PIN = "2580"



@pytest.mark.timeout(60)
async def test_back_to_the_therapist_from_a_set_and_back_to_the_set(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    save_settings(data, load_settings(data).with_pin(PIN).with_code("246813"))
    model = KioskModel(data, sources=SimSourceFactory(speed=60.0), monotonic=Monotonic(),
                       clock=FakeClock(datetime.now(UTC)))
    calls: list[FakeCall] = []

    def make(on_state: Any) -> FakeCall:
        calls.append(FakeCall(on_state=on_state))
        return calls[-1]

    vm = VisitVM(make, lambda m: True, type("Quiet", (), {"say": lambda self, t: None})())
    audio = silent_audio()
    screens = Screens()
    flow = KioskFlow(model, screens, audio)
    flow.attach_visits(vm)
    try:
        flow.go("lock")
        for d in PIN:
            flow.key(d)
        flow.submit_entry()
        vm.offered(Offer("call-1", "appt-1", "v=0\r\n", "c1", "dev-a", datetime.now(UTC)))
        await vm.accept()
        calls[0].connect()
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
    data = tmp_path / "d"
    data.mkdir()
    save_settings(data, load_settings(data).with_pin(PIN).with_code("246813"))
    model = KioskModel(data, sources=SimSourceFactory(speed=60.0), monotonic=Monotonic(),
                       clock=FakeClock(datetime.now(UTC)))
    calls: list[FakeCall] = []
    vm = VisitVM(lambda s: calls.append(FakeCall(on_state=s)) or calls[-1],
                 lambda m: True, type("Quiet", (), {"say": lambda self, t: None})())
    audio = silent_audio()
    flow = KioskFlow(model, Screens(), audio)
    flow.attach_visits(vm)
    try:
        flow.go("lock")
        for d in PIN:
            flow.key(d)
        flow.submit_entry()
        vm.offered(Offer("call-2", "appt-2", "v=0\r\n", "c1", "dev-a", datetime.now(UTC)))
        await vm.accept()
        calls[0].connect()
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
    data = tmp_path / "d"
    data.mkdir()
    save_settings(data, load_settings(data).with_pin(PIN).with_code("246813"))
    model = KioskModel(data, sources=SimSourceFactory(speed=60.0), monotonic=Monotonic(),
                       clock=FakeClock(datetime.now(UTC)))
    calls: list[FakeCall] = []
    vm = VisitVM(lambda s: calls.append(FakeCall(on_state=s)) or calls[-1],
                 lambda m: True, type("Quiet", (), {"say": lambda self, t: None})())
    audio = silent_audio()
    flow = KioskFlow(model, Screens(), audio)
    flow.attach_visits(vm)
    try:
        flow.go("lock")
        for d in PIN:
            flow.key(d)
        flow.submit_entry()
        vm.offered(Offer("call-3", "appt-3", "v=0\r\n", "c1", "dev-a", datetime.now(UTC)))
        await vm.accept()
        calls[0].connect()
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

