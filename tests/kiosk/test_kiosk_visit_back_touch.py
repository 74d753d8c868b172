"""Back to the visit by touch in the running kiosk app (offscreen, 800x480, real touches;
the fake call adapter with a synthetic picture of the therapist): during a connected call
the patient does a set; the bar above the live screen says the call is on and "Back to
your therapist" returns to the call, which kept running; "Back to your exercise" returns to
the set. The therapist asks to record; the patient's "Yes, record" turns the bar red with
"recording", and "Stop recording" on the call's screen stops it and tells the clinic.
Saves kiosk-visit-back*.png, kiosk-visit-recording*.png and
kiosk-visit-recording-call*.png (looked at)."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy

configure_kivy((800, 480), fullscreen=False, pi=False)

from kivy.core.window import Window  # noqa: I001
from tests.helpers.chromium import shot_path
from tests.helpers.fake_visit import FakeVisit
from tests.helpers.flow_set import begin_one_set
from tests.helpers.kiosk_touch import provision, running_kiosk, tap, texts, until
from flow_helpers import silent_audio

from kiosk.adapters.sources import SimSourceFactory
from kiosk.model import KioskModel
from kiosk.ui.app import KioskApp
from kiosk.vm.flow_visit import BACK_TO_SET, BACK_TO_VISIT, CALL_RECORDING, CALL_RUNNING
from kiosk.vm.visit import Phase
from mqtt.visit import Offer, RecordConsent, RecordRequest, RecordStop

pytestmark = pytest.mark.timeout(90)


class Kit(FakeVisit):
    """What kiosk/visit_setup.py gives the app, over the fake call adapter."""

    def close(self) -> None:
        pass


class VisitKioskApp(KioskApp):  # type: ignore[misc]
    def _visits(self) -> Kit:
        kit = Kit()
        self.flow.attach_visits(kit.vm)
        return kit


def _therapist() -> np.ndarray:
    """A picture standing in for the therapist's video: a face-ish disc on a wall."""
    h, w = 480, 640
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = (70, 110, 150)
    disc = (xx - w // 2) ** 2 + (yy - h // 2.4) ** 2 < 90**2
    img[disc] = (225, 180, 150)
    img[h * 2 // 3:, w // 4:w * 3 // 4] = (40, 70, 120)  # shoulders
    return img


def _shot(name: str) -> Path:
    path = shot_path(name)
    for old in path.parent.glob(path.stem + "[0-9][0-9][0-9][0-9].png"):
        old.unlink()  # Kivy numbers on: <name>0001.png unless that exists
    return Path(Window.screenshot(name=str(path)))


async def test_back_to_the_therapist_from_the_set_by_touch(tmp_path: Path) -> None:
    data = tmp_path / "dev"
    provision(data)
    model = KioskModel(data, sources=SimSourceFactory(speed=4.0))
    async with running_kiosk(model, VisitKioskApp, audio=silent_audio()) as app:
        kit: Kit = app.visit_kit
        vm, flow = kit.vm, app.flow
        vm.offered(Offer("call-1", "appt-1", "v=0\r\n", "c1", "dev-a", datetime.now(UTC)))
        await until(lambda: app.sm.current == "visit", 5, "the call on screen")
        await asyncio.sleep(0.3)  # the consent card laid out
        await tap(app, "Yes, start the video call")
        await until(lambda: bool(kit.calls), 5, "the call made")
        call = kit.calls[0]
        call.push_remote(_therapist())
        call.connect()
        await until(lambda: vm.phase == Phase.IN_CALL, 5, "in the call")
        assert app.visit_bar.height == 0  # on the call's screen: no bar

        # a set during the call (the steps before it have their own touch tests)
        begin_one_set(flow, "knee_extension_seated", 20)
        await until(lambda: app.sm.current == "live", 5, "the live set")
        await asyncio.sleep(1.0)  # the bar drawn, some angle on the live screen
        assert app.visit_bar.height > 0 and app.visit_bar.text.text == CALL_RUNNING
        back = _shot("kiosk-visit-back.png")

        await tap(app, BACK_TO_VISIT)
        assert app.sm.current == "visit" and vm.phase == Phase.IN_CALL
        assert call.state == "connected" and model.run is not None  # both still going
        assert app.visit_bar.button.text == BACK_TO_SET
        vm.signal(RecordRequest("call-1"))
        await asyncio.sleep(0.2)
        await tap(app, "Yes, record")
        assert kit.sent[-1] == RecordConsent("call-1", True) and vm.recording
        await tap(app, BACK_TO_SET)
        assert app.sm.current == "live"
        await asyncio.sleep(0.3)
        assert app.visit_bar.text.text == CALL_RECORDING
        recording = _shot("kiosk-visit-recording.png")

        await tap(app, BACK_TO_VISIT)
        await asyncio.sleep(0.2)
        assert "Camera and microphone ON  -  RECORDING" in texts(app)
        on_call = _shot("kiosk-visit-recording-call.png")  # Stop recording beside Hang up
        await tap(app, "Stop recording")
        assert kit.sent[-1] == RecordStop("call-1") and not vm.recording
        assert app.screens["visit"].stop_rec.disabled
        await tap(app, "Hang up")
        await until(lambda: vm.phase == Phase.ENDED, 5, "the call to end")
        await tap(app, "OK")
        assert app.sm.current == "live"  # back to the set the patient left
        assert app.visit_bar.height == 0
        for made in (back, recording, on_call):
            assert made.is_file() and made.stat().st_size > 10_000
