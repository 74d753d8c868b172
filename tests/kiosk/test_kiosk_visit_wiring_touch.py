"""A video visit reaching the running kiosk app (offscreen, real touches): the shipped
Mosquitto config, the kiosk's own clinic link from its rehab.toml, the clinic's relay and an
aiortc peer standing in for the therapist's browser. The patient is on Progress; the call
puts the consent question up, "Yes" answers with the kiosk's shared camera (one capture:
the browser receives its 640x480 picture), "Hang up" and "OK" lead back to Progress and the
camera is closed again."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy

configure_kivy((800, 480), fullscreen=False, pi=False)

from tests.helpers.visit_world import CLINIC, DEVICE, Browser, require_aiortc, until  # noqa: I001
from tests.helpers.kiosk_touch import TEST_PIN, enter, provision, running_kiosk, tap, texts
from flow_helpers import silent_audio
from tests.helpers.link_helpers import write_toml
from tests.helpers.shipped_broker import shipped_broker

from clinic.visit import ClinicVisitRelay
from kiosk.adapters.camera import SharedCamera
from kiosk.adapters.sources import SimSourceFactory
from kiosk.model import KioskModel
from kiosk.vm.visit import Phase
from sensors.camera.synthetic import SyntheticFrames
from therapy.records import Appointment, new_id
from therapy.signing import new_private_key, public_key_to_b64


@pytest.mark.timeout(90)
async def test_a_clinic_call_reaches_the_running_kiosk_and_hanging_up_returns(
        tmp_path: Path) -> None:
    require_aiortc()
    shipped = shipped_broker(tmp_path / "broker", {
        "dev": ["device", "--clinic", CLINIC, "--device", DEVICE],
        "visit": ["clinic", "--clinic", CLINIC, "--user", f"{CLINIC}-visit"]})
    key = new_private_key()
    data = tmp_path / "dev"
    write_toml(data, **shipped.toml("dev"), clinic_public_key=public_key_to_b64(key.public_key()))
    provision(data)
    model = KioskModel(data, sources=SimSourceFactory(speed=8.0))
    link = getattr(model.clinic, "link", None)
    assert link is not None  # rehab.toml: the kiosk's MQTT link, as `make run` has it
    appt = new_id()
    model.store.save_appointment(Appointment(
        appt, datetime.now(UTC) - timedelta(minutes=5), 30))
    model.shared_camera = SharedCamera("synthetic", capture=lambda _d: SyntheticFrames(
        640, 480, 15))
    audio = silent_audio()
    events: list[tuple[str, Any]] = []
    relay = ClinicVisitRelay(shipped.broker_config("visit", tmp_path), CLINIC, key,
                             on_event=lambda d, m: events.append((d, m)))
    browser: Browser | None = None
    try:
        async with running_kiosk(model, pin=None, audio=audio) as app:
            assert app.visit_kit is not None and "visit" in app.screens.names
            relay.start()
            await until(lambda: link.connected.is_set() and relay.connected.is_set(), 15,
                         "device and clinic relay to connect")
            await asyncio.sleep(0.2)  # SUBACKs
            await enter(app, TEST_PIN)
            await tap(app, "Progress")
            assert app.sm.current == "progress"
            assert model.shared_camera.opened_ == 0  # no camera on before a call

            browser = Browser(relay)
            call = relay.offer(DEVICE, appt, await browser.make_offer())
            await until(lambda: app.sm.current == "visit", 10, "the call on screen")
            vm = app.visit_kit.vm
            assert vm.phase == Phase.RINGING and not vm.camera_on
            assert vm.prompt in texts(app)  # the consent question
            await tap(app, "Yes, start the video call")
            sdp = await asyncio.to_thread(relay.wait_answer, call.call)
            await browser.accept_answer(sdp)
            await until(lambda: vm.phase == Phase.IN_CALL, 15, "the kiosk in the call")
            await until(lambda: browser is not None and browser.frames >= 5, 15,
                        "the kiosk's picture at the browser")
            assert browser.size == (640, 480) and model.shared_camera.opened_ == 1
            await tap(app, "Hang up")
            await until(lambda: vm.phase == Phase.ENDED, 10, "the call to end")
            await tap(app, "OK")
            assert app.sm.current == "progress"  # back where the patient was
            await until(lambda: model.shared_camera._hub is None, 10, "the camera closed")
    finally:
        if browser is not None:
            await browser.close()
        relay.stop()
        shipped.broker.stop()
