"""The visit screen by real touches, offscreen (Kivy's UnitTestTouch through the input
dispatch): "Yes" turns camera and microphone on and answers, the record question takes
the patient's answer, "Hang up" ends the call and tells the clinic; "Not now" declines
and nothing turns on."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="visit-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy  # noqa: E402

configure_kivy((800, 480), fullscreen=False, pi=False)

from kivy.app import App  # noqa: E402
from kivy.uix.screenmanager import ScreenManager  # noqa: E402
from tests.helpers.fake_visit import FakeVisit  # noqa: E402
from tests.helpers.kiosk_touch import buttons, tap, until  # noqa: E402

from kiosk.adapters.call import FakeCall  # noqa: E402
from kiosk.ui.visit_screen import VisitScreen  # noqa: E402
from kiosk.vm.visit import NOTICE_DECLINED, NOTICE_PATIENT_HUNG_UP, Phase, VisitVM  # noqa: E402
from mqtt.visit import (Answer, CallState, HangUp, Offer, RecordConsent,  # noqa: E402
                        RecordRequest, StateReport)

pytestmark = pytest.mark.timeout(60)


class VisitApp(App):  # type: ignore[misc]
    def __init__(self, vm: VisitVM) -> None:
        super().__init__()
        self.vm = vm
        self.sent: list[Any] = []
        self.sm = ScreenManager()
        self.screen = VisitScreen(vm, name="visit")
        vm.on_change = self.screen.refresh
        self.sm.add_widget(self.screen)

    def build(self) -> ScreenManager:
        return self.sm


async def _frame() -> None:
    await asyncio.sleep(0.2)  # a frame or two: the new buttons are laid out


def _offer(call: str) -> Offer:
    return Offer(call, "appt-1", "v=0\r\n", "c1", "dev-a", datetime.now(timezone.utc))


async def test_patient_answers_consents_and_hangs_up_by_touch() -> None:
    visit = FakeVisit()
    vm, calls, sent = visit.vm, visit.calls, visit.sent
    app = VisitApp(vm)
    task = asyncio.ensure_future(app.async_run(async_lib="asyncio"))
    try:
        await asyncio.sleep(0.3)
        assert buttons(app, "Hang up") == []  # nothing to hang up while ringing
        vm.offered(_offer("call-1"))
        await _frame()
        await tap(app, "Yes, start the video call")
        await until(lambda: vm.phase == Phase.CONNECTING, 5, "connecting")
        assert vm.camera_on and calls and Answer("call-1", FakeCall.ANSWER) in sent
        assert app.screen.media.text == "Camera and microphone ON"
        calls[0].connect()
        await _frame()
        vm.signal(RecordRequest("call-1"))
        await _frame()
        await tap(app, "Yes, record")
        assert sent[-1] == RecordConsent("call-1", True) and vm.recording
        await tap(app, "Hang up")
        await until(lambda: vm.phase == Phase.ENDED, 5, "the call to end")
        await _frame()
        assert vm.notice == NOTICE_PATIENT_HUNG_UP and calls[0].state == "closed"
        assert HangUp("call-1", "the patient hung up") in sent and not vm.camera_on
        await tap(app, "OK")
        assert vm.phase == Phase.IDLE
        vm.offered(_offer("call-2"))
        await _frame()
        await tap(app, "Not now")
        assert vm.notice == NOTICE_DECLINED and len(calls) == 1  # nothing turned on
        assert sent[-1] == StateReport("call-2", CallState.DECLINED, "the patient said no")
    finally:
        app.stop()
        await asyncio.wait_for(task, 10)
