"""The world of the browser video-visit tests (issue 16): a real Mosquitto, a clinic (key,
config, the therapist "ann" made by ``rehab clinic user add``, ``rehab clinic serve`` as a
subprocess), a kiosk side as the app wires it (kiosk/visit_setup.py on a synthetic 640x480
camera) and Debian's chromium with a fake camera and microphone, logged in, with an
appointment booked in the browser five minutes from now and stored on the kiosk."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from browser_helpers import log_in
from send_world import QUICK, make_key
from tests.helpers.chromium import chromium
from tests.helpers.link_helpers import write_toml
from tests.helpers.rehab_broker import Broker
from tests.helpers.serve_world import REPO, ServeProcess
from tests.helpers.visit_world import Speaker, until

from kiosk.adapters.call import CallSettings
from kiosk.visit_setup import VisitKit, build_visits
from mqtt.config import load_config
from mqtt.device import DeviceLink
from sensors.camera.hub import FrameHub
from sensors.camera.synthetic import SyntheticFrames
from therapy.store import TherapyStore

PASSWORD = "correct horse battery"
MEDIA_ARGS = ("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
              "--autoplay-policy=no-user-gesture-required")


@dataclass
class VisitBrowserWorld:
    d: Any  # the logged-in chromium driver
    serve: ServeProcess
    store: TherapyStore  # the kiosk's
    link: DeviceLink
    kit: VisitKit
    speaker: Speaker
    clinic_dir: Path
    dev_dir: Path
    appointment: str  # the booked appointment's id

    async def ui(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Selenium blocks: run ``fn`` off the event loop."""
        return await asyncio.to_thread(fn, *args)


async def _add_user(clinic_dir: Path) -> None:
    made = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "rehab.cli", "clinic", "user", "add", "ann",
                         "--password-stdin", "--data-dir", str(clinic_dir)],
        input=PASSWORD + "\n", capture_output=True, text=True, cwd=REPO, check=False)
    assert made.returncode == 0, made.stderr


async def _book(w: VisitBrowserWorld) -> str:
    """The therapist books an appointment starting in five minutes; the kiosk stores it."""
    from selenium.webdriver.common.by import By

    d = w.d
    await w.ui(d.get, w.serve.url + "/patients/dev-1/messages")
    start = (datetime.now() + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    field = await w.ui(d.find_element, By.CSS_SELECTOR, "form.book input[name=start]")
    await w.ui(d.execute_script, f"arguments[0].value = '{start}'", field)
    await w.ui(lambda: d.find_element(By.XPATH, "//button[text()='Book']").click())
    appts = await until(w.store.appointments, 15, "the appointment on the kiosk")
    return str(appts[0].id)


@asynccontextmanager
async def visit_browser_world(tmp_path: Path) -> AsyncIterator[VisitBrowserWorld]:
    """Everything started, the kiosk connected, the therapist logged in, an appointment
    booked; on the way out the call, kit, link, camera, server, broker and browser stop."""
    with chromium(*MEDIA_ARGS, window="1280,900") as d:
        broker = Broker(tmp_path / "broker").start()
        clinic_dir, dev_dir = tmp_path / "clinic", tmp_path / "dev"
        pub = make_key(clinic_dir)
        write_toml(clinic_dir, broker=broker.url, clinic="c1")
        await _add_user(clinic_dir)
        write_toml(dev_dir, broker=broker.url, device="dev-1", clinic="c1",
                   clinic_public_key=pub)
        store = TherapyStore(dev_dir / "rehab.db")
        link = DeviceLink(load_config(dev_dir), store, resend=QUICK, reconnect_max_s=1)
        hub = FrameHub(SyntheticFrames(640, 480, 15)).start()
        speaker = Speaker()
        kit = build_visits(link, store, hub=hub, speaker=speaker, data_dir=dev_dir,
                           loop=asyncio.get_running_loop(), settings=CallSettings())
        serve = ServeProcess(clinic_dir, broker.url)
        try:
            w = VisitBrowserWorld(d, serve, store, link, kit, speaker, clinic_dir, dev_dir, "")
            link.start()
            await until(link.connected.is_set, 15, "the kiosk to connect")
            await w.ui(serve.wait_connected)
            await w.ui(log_in, d, serve.url, "ann", PASSWORD)
            w.appointment = await _book(w)
            yield w
        finally:
            if kit.vm.call is not None:
                await kit.vm.call.close()
            kit.close()
            link.stop()
            hub.stop()
            serve.stop_quietly()
            broker.stop()
