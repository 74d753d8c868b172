"""The kiosk's visit view-model with the fake call adapter: consent before camera and
microphone, cues shown and spoken, hang-up on a touch, "cannot connect" with the reason on
the screen and to the clinic, recording only after the patient's yes."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

import pytest

from kiosk.adapters.call import FakeCall
from kiosk.vm.visit import (
    CANNOT_CONNECT,
    NOTICE_CLINIC_HUNG_UP,
    NOTICE_DECLINED,
    NOTICE_PATIENT_HUNG_UP,
    Phase,
    VisitVM,
)
from mqtt.visit import (
    Answer,
    CallState,
    Cue,
    CueKind,
    HangUp,
    Offer,
    RecordConsent,
    RecordRequest,
    Refused,
    StateReport,
)

SDP = "v=0\r\n"
OFFER = Offer("call-1", "appt-1", SDP, "c1", "dev-a", datetime.now(timezone.utc))


class World:
    def __init__(self, timeout_s: float = 15.0, fail_answer: str | None = None,
                 online: bool = True) -> None:
        self.sent: list[Any] = []
        self.said: list[str] = []
        self.calls: list[FakeCall] = []
        self.changes = 0
        self.online = online

        def make(on_state: Any) -> FakeCall:
            call = FakeCall(on_state=on_state, fail_answer=fail_answer)
            self.calls.append(call)
            return call

        def send(msg: Any) -> bool:
            self.sent.append(msg)
            return self.online

        class Speaker:
            def say(inner, text: str) -> None:  # noqa: N805
                self.said.append(text)

        self.vm = VisitVM(make, send, Speaker(), connect_timeout_s=timeout_s,
                          on_change=self._changed)

    def _changed(self) -> None:
        self.changes += 1


async def _in_call(w: World) -> FakeCall:
    w.vm.offered(OFFER)
    await w.vm.accept()
    w.calls[0].connect()
    return w.calls[0]


async def test_consent_then_camera_on_then_in_call() -> None:
    w = World()
    w.vm.offered(OFFER)
    v = w.vm.view()
    assert v.phase == Phase.RINGING and not v.camera_on and not v.microphone_on
    assert v.media_line == "Camera and microphone off" and w.calls == []
    assert w.sent == [StateReport("call-1", CallState.RINGING)]
    await w.vm.accept()
    assert w.vm.view().camera_on and w.vm.view().media_line == "Camera and microphone ON"
    assert w.calls[0].offers == [SDP] and w.sent[-1] == Answer("call-1", FakeCall.ANSWER)
    assert w.vm.phase == Phase.CONNECTING and w.vm.supervision is None
    w.calls[0].connect()
    assert w.vm.phase == Phase.IN_CALL and w.sent[-1] == StateReport("call-1",
                                                                       CallState.CONNECTED)
    assert w.vm.supervision is not None and w.vm.supervision.appointment == "appt-1"


async def test_decline_keeps_camera_off() -> None:
    w = World()
    w.vm.offered(OFFER)
    w.vm.decline()
    assert w.vm.phase == Phase.ENDED and w.vm.notice == NOTICE_DECLINED and w.calls == []
    assert w.sent[-1].state == CallState.DECLINED
    w.vm.dismiss()
    assert w.vm.phase == Phase.IDLE


async def test_cue_is_shown_and_spoken_only_for_this_call() -> None:
    w = World()
    await _in_call(w)
    w.vm.signal(Cue("other-call", CueKind.HOLD))
    assert w.vm.cue == "" and w.vm.ignored_ == 1
    w.vm.signal(Cue("call-1", CueKind.HOLD))
    assert w.vm.view().cue == "Hold" and w.said == ["Hold"]


async def test_patient_hangs_up() -> None:
    w = World()
    call = await _in_call(w)
    await w.vm.hang_up()
    assert w.vm.phase == Phase.ENDED and w.vm.notice == NOTICE_PATIENT_HUNG_UP
    assert call.state == "closed" and not w.vm.camera_on
    assert HangUp("call-1", "the patient hung up") in w.sent


async def test_clinic_hangs_up() -> None:
    w = World()
    call = await _in_call(w)
    w.vm.signal(HangUp("call-1", ""))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert w.vm.phase == Phase.ENDED and w.vm.notice == NOTICE_CLINIC_HUNG_UP
    assert call.state == "closed" and not w.vm.microphone_on


async def test_cannot_connect_says_why_on_both_sides() -> None:
    w = World(timeout_s=0.05)
    w.vm.offered(OFFER)
    await w.vm.accept()
    for _ in range(100):
        if w.vm.phase == Phase.ENDED:
            break
        await asyncio.sleep(0.01)
    assert w.vm.notice.startswith(f"{CANNOT_CONNECT}: no connection within 0.05 s")
    failed = [m for m in w.sent if isinstance(m, StateReport) and m.state == CallState.FAILED]
    assert failed and "STUN/TURN" in failed[0].reason
    assert w.calls[0].state == "closed" and not w.vm.camera_on


async def test_connection_lost_and_bad_offer_and_offline_end_the_call() -> None:
    w = World()
    call = await _in_call(w)
    call.fail()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert w.vm.phase == Phase.ENDED and "connection to the clinic was lost" in w.vm.notice
    w2 = World(fail_answer="the clinic's call offer could not be used: no media")
    w2.vm.offered(OFFER)
    await w2.vm.accept()
    assert w2.vm.phase == Phase.ENDED and "no media" in w2.vm.notice
    w3 = World(online=False)
    w3.vm.offered(OFFER)
    await w3.vm.accept()
    assert w3.vm.phase == Phase.ENDED and "not connected to the clinic" in w3.vm.notice


async def test_recording_only_after_the_patients_yes() -> None:
    w = World()
    await _in_call(w)
    assert not w.vm.view().recording
    w.vm.consent_recording(True)  # no request yet: nothing sent
    assert not any(isinstance(m, RecordConsent) for m in w.sent)
    w.vm.signal(RecordRequest("call-1"))
    assert w.vm.view().record_prompt and not w.vm.view().recording
    w.vm.consent_recording(False)
    assert w.sent[-1] == RecordConsent("call-1", False) and not w.vm.recording
    w.vm.signal(RecordRequest("call-1"))
    w.vm.consent_recording(True)
    assert w.sent[-1] == RecordConsent("call-1", True) and w.vm.view().recording
    await w.vm.hang_up()
    assert not w.vm.recording


async def test_second_offer_while_busy_is_refused_and_refusals_are_shown() -> None:
    w = World()
    await _in_call(w)
    w.vm.offered(Offer("call-2", "appt-1", SDP, "c1", "dev-a", OFFER.issued_at))
    assert w.sent[-1] == Refused("call-2", "busy", "another call is running")
    assert w.vm.offer == OFFER
    w2 = World()
    w2.vm.refused(Refused("call-3", "unscheduled", "appointment x is not scheduled"))
    assert "refused: appointment x is not scheduled" in w2.vm.view().notice
    assert w2.vm.phase == Phase.IDLE


@pytest.mark.parametrize("touch", ["accept", "hang_up"])
async def test_touches_without_a_call_do_nothing(touch: str) -> None:
    w = World()
    await getattr(w.vm, touch)()
    assert w.vm.phase == Phase.IDLE and w.sent == [] and w.calls == []


async def test_an_adapter_that_hangs_or_breaks_while_answering_still_ends_in_time() -> None:
    """The limit runs from the patient's yes: an answer that never returns (or raises
    something unexpected) cannot leave the camera on in 'connecting'."""

    class Stuck(FakeCall):
        async def answer(self, offer_sdp: str) -> str:
            await asyncio.sleep(3600)
            return ""

    sent: list[Any] = []
    vm = VisitVM(lambda on_state: Stuck(on_state=on_state), lambda m: sent.append(m) or True,
                 type("S", (), {"say": lambda self, t: None})(), connect_timeout_s=0.05)
    vm.offered(OFFER)
    task = asyncio.ensure_future(vm.accept())
    for _ in range(100):
        if vm.phase == Phase.ENDED:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    assert vm.phase == Phase.ENDED and not vm.camera_on
    assert any(isinstance(m, StateReport) and m.state == CallState.FAILED for m in sent)
