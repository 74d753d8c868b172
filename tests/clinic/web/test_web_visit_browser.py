"""A video visit from the therapist's browser (issue 16), end to end: Debian's chromium
with a fake camera and microphone (``--use-fake-device-for-media-stream
--use-fake-ui-for-media-stream``), ``rehab clinic serve`` as a subprocess (it makes the
visit relay), a real Mosquitto, and the kiosk side in Python as the kiosk app wires it
(kiosk/visit_setup.py: DeviceLink, VisitVM, aiortc AiortcCall on a synthetic camera).
The therapist books an appointment, opens its visit page and calls; the patient says yes;
the call connects, the browser's frames decode at the kiosk, the live reps show beside
the video, a cue typed in the browser appears in the kiosk's view-model, and the
browser's hang-up ends both sides. Saves docs/img/clinic-visit.png."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import wait_until
from tests.helpers.chromium import shot_path
from live_events import event, rep
from tests.helpers.visit_world import until
from visit_browser_world import visit_browser_world

from kiosk.vm.visit import NOTICE_CLINIC_HUNG_UP, Phase
from therapy.ports import EventKind

# The page's polls of the call's state answered 1.2 s late (its fetch wrapped): a poll is
# always on its way when the therapist hangs up, and its answer, older than the hang-up,
# once showed "connected" again on the page of a call that had ended.
SLOW_STATE_POLLS = """
const fetch0 = window.fetch;
window.fetch = (url, opts) => fetch0(url, opts).then((r) => String(url).endsWith("/state")
    ? new Promise((done) => setTimeout(() => done(r), 1200)) : r);
"""

pytestmark = pytest.mark.timeout(150)
FRAMES = 20  # decoded at the kiosk before the call is judged working


async def test_a_video_visit_from_the_browser(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    async with visit_browser_world(tmp_path) as w:
        d, ui, kit, link, serve = w.d, w.ui, w.kit, w.link, w.serve

        # its visit page; the therapist calls
        await ui(lambda: d.find_element(By.LINK_TEXT, "Start video visit").click())
        await ui(wait_until, d, lambda drv: drv.find_element(By.TAG_NAME, "h1").text
                 .startswith("Video visit"))
        await ui(lambda: d.find_element(By.ID, "call-start").click())
        await until(lambda: kit.vm.phase == Phase.RINGING, 20, "the kiosk to ring")
        assert not kit.vm.camera_on  # nothing on before the patient's yes
        await kit.vm.accept()
        await until(lambda: kit.vm.phase == Phase.IN_CALL, 20, "the kiosk to be in the call")

        def state(drv: Any) -> str:
            return str(drv.find_element(By.ID, "call-state").text)

        await ui(wait_until, d, lambda drv: state(drv) == "connected", 20)
        kiosk_call = kit.calls[0]
        await until(lambda: kiosk_call.remote_frames_ >= FRAMES, 20, "frames at the kiosk")
        assert kiosk_call.remote_size_ == (640, 480)  # chromium's fake camera
        await ui(wait_until, d, lambda drv: drv.execute_script(
            "return document.getElementById('remote').videoWidth") == 640, 20)

        # the live reps beside the video
        link.live_listener(event(EventKind.SESSION_STARTED))
        link.live_listener(event(EventKind.SET_STARTED))
        for n, rom in enumerate((66.0, 71.0, 48.0), start=1):
            link.live_listener(event(EventKind.REP, r=rep(n, rom)))
        await ui(wait_until, d, lambda drv: "3 reps" in drv.find_element(
            By.ID, "live-dev-1").text, 15)

        # cues: a button and free text typed in the browser
        await ui(lambda: d.find_element(By.CSS_SELECTOR, "button[data-cue=slower]").click())
        await until(lambda: kit.vm.view().cue == "Slower", 10, "the Slower cue at the kiosk")
        await ui(lambda: d.find_element(By.ID, "cue-text").send_keys("Keep your back straight"))
        await ui(lambda: d.find_element(By.ID, "cue-send").click())
        await until(lambda: kit.vm.cue == "Keep your back straight", 10, "the typed cue")
        assert w.speaker.said[-2:] == ["Slower", "Keep your back straight"]
        await ui(wait_until, d, lambda drv: "Sent: Keep your back straight" in drv.find_element(
            By.ID, "cue-sent").text)
        height = await ui(d.execute_script, "window.scrollTo(0, 0); return document."
                          "documentElement.scrollHeight + window.outerHeight - window.innerHeight")
        await ui(d.set_window_size, 1280, min(max(int(height), 700), 1600))
        await ui(d.save_screenshot, str(shot_path("clinic-visit.png")))

        # the therapist hangs up, a poll of the call's state on its way: both sides end
        await ui(d.execute_script, SLOW_STATE_POLLS)
        await asyncio.sleep(1.5)  # the slowed polls overlap from now on
        await ui(lambda: d.find_element(By.ID, "call-hangup").click())
        await until(lambda: kit.vm.phase == Phase.ENDED, 15, "the kiosk to end the call")
        assert kit.vm.notice.startswith(NOTICE_CLINIC_HUNG_UP)
        await until(lambda: kiosk_call.state == "closed", 10, "the kiosk's peer to close")
        assert not kit.vm.camera_on and not kit.vm.microphone_on
        await asyncio.sleep(1.5)  # every poll sent before the hang-up has its answer
        assert await ui(state, d) == "hung up"

        # a second call on the same appointment; this time the patient hangs up
        await ui(d.refresh)
        await ui(lambda: d.find_element(By.ID, "call-start").click())
        await until(lambda: kit.vm.phase == Phase.RINGING, 20, "the kiosk to ring again")
        await kit.vm.accept()
        await ui(wait_until, d, lambda drv: state(drv) == "connected", 20)
        await kit.vm.hang_up()
        await ui(wait_until, d, lambda drv: state(drv) == "hung up", 10)
        assert await ui(lambda: d.find_element(By.ID, "call-hangup").is_enabled()) is False
        assert await ui(d.execute_script, "return document.getElementById('local').srcObject"
                        " === null || document.getElementById('local').srcObject"
                        ".getTracks().every(t => t.readyState === 'ended')")
        await ui(d.get, "about:blank")
        assert await ui(serve.terminate) == 0
