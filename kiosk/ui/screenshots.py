"""``rehab kiosk --screenshots DIR``: every screen, live screens mid-set on simulated
sensors, at the window's size. Runs as a task beside the app, then stops it.

One process per size: resizing SDL's offscreen window corrupts later read-backs (seen
with Kivy 2.3.1 + Mesa here), so ``kiosk.shots_main`` is started once per size."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from pathlib import Path
from typing import Any, Awaitable, Callable

from kivy.core.window import Window

from kiosk.ui.app import KioskApp
from kiosk.vm.flow import KioskFlow
from kiosk.vm.intake import IntakeVM
from sensors.types import BodySegment

log = logging.getLogger(__name__)
SETTLE_S = 0.3
SHOTS = 32
SHOT_PIN, SHOT_CODE = "2580", "246813"  # the demo kiosk's PIN and installer code


async def _shoot(app: KioskApp, out: Path, name: str, files: list[Path]) -> None:
    w, h = Window.size
    app.screens[app.sm.current].refresh()
    await asyncio.sleep(SETTLE_S)
    final = out / f"{name}_{w}x{h}.png"
    made = Path(Window.screenshot(name=str(final)))
    os.replace(made, final)
    files.append(final)


async def _until(cond: Callable[[], bool], timeout_s: float) -> None:
    t_end = asyncio.get_running_loop().time() + timeout_s
    while not cond() and asyncio.get_running_loop().time() < t_end:
        await asyncio.sleep(0.05)


async def take_all(app: KioskApp, out: Path) -> list[Path]:
    """Walk the app through every screen; returns the PNG paths."""
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    await asyncio.wait_for(app.first_frame.wait(), 30)
    m, flow = app.model, app.flow
    shot: Callable[[str], Awaitable[None]] = lambda n: _shoot(app, out, n, files)  # noqa: E731
    for k in SHOT_PIN[:2]:  # first run: the patient chooses a PIN, twice
        flow.key(k)
    await shot("19_choose_pin")
    for k in SHOT_PIN[2:]:
        flow.key(k)
    flow.submit_entry()
    _keys(flow, SHOT_PIN)
    _provision_code(app)
    flow.lock_now()
    await shot("01_lock")
    for k in SHOT_PIN:
        flow.key(k)
    await shot("02_lock_pin")
    flow.submit_entry()
    flow.intake_vm = IntakeVM(first_run=True)
    flow.go("intake")
    await shot("03_intake_first_run")
    check = IntakeVM(first_run=False)
    for key in check.flags:
        check.answer(key, key == "fall")
    flow.intake_vm = check
    flow.go("intake")
    await shot("04_checkin_red_flag")
    flow.go("today")
    await shot("05_today")
    plan, _ = m.plan()
    # the knee on two demo wearables, thigh and lower leg, so the drop-out shot can show the
    # thigh's lost while the lower leg's line says connected (25_sensor_lost)
    wearables = m.sources = DemoWearables(getattr(m.sources, "speed", 4.0))
    flow.start_exercise(dataclasses.replace(plan.exercises[0], sensors=DemoWearables.ON))
    pain: Any = app.screens["pain"]
    pain.choose(3)
    await shot("06_pain_before")
    flow.pain_done()
    await shot("07_instruction")
    flow.begin_set()
    run = m.run
    assert run is not None
    await _until(lambda: run.live.reps_in_set >= 2, 60)
    await _until(lambda: run.live.hold_text.startswith("Hold"), 8)
    await shot("08_live_set")
    # a wearable drops out: the banner, and the set waits for it (paused: Resume), as a
    # supervised set does (tests/kiosk/test_kiosk_sources_ble_touch.py): the thigh's
    # wearable, shown not connected on the sensor line beside the lower leg's
    wearables.away.add("thigh")
    run.live.on_link("thigh", "lost")
    run.pause()
    await asyncio.sleep(0.1)
    await shot("25_sensor_lost")
    wearables.away.discard("thigh")
    run.live.on_link("thigh", "back")
    await asyncio.sleep(0.1)
    await shot("09_live_paused")
    run.pause()
    await _until(lambda: run.live.resting or not run.set_running, 120)
    await shot("10_rest_between_sets")
    flow.stop_set()
    await _until(lambda: app.sm.current == "pain", 10)
    pain.choose(8)
    await shot("11_pain_after_flagged")
    pain.choose(4)
    flow.pain_vm.toggle_note("Stiff")
    pain.refresh()
    await shot("12_pain_after")
    flow.pain_done()
    await _until(lambda: app.sm.current == "summary", 10)
    await shot("13_summary")
    flow.summary_done()  # how did it go?
    flow.feedback_rate(4)
    flow.feedback_note("I felt stiff")
    assert flow.feedback_vm is not None
    flow.feedback_vm.text = "The second set was easier than yesterday"
    await shot("23_feedback")
    flow.feedback_type()
    await shot("24_feedback_keyboard")
    flow.compose_done()
    flow.send_feedback()
    flow.go("progress")
    await shot("14_progress")
    flow.go("messages")
    await shot("15_messages")
    flow.go("settings")  # the patient's own
    await shot("16_settings")
    flow.open_reminders()
    await shot("26_reminders")
    flow.close_reminders()
    flow.open_installer()  # wearables, camera, clinic: behind the installer code
    await shot("20_settings_code")
    _keys(flow, SHOT_CODE)
    await shot("31_installer_settings")
    await _devices(app, shot)
    await _camera_exercise(app, shot)
    flow.lock_now()
    flow.start_pin_change()
    _keys(flow, SHOT_PIN)  # the old PIN, then the new one is asked for
    await shot("21_change_pin")
    flow.cancel_pin_flow()
    _keys(flow, SHOT_PIN)
    _expired_plan(app)
    flow.go("today")
    await shot("28_plan_ended")
    flow.go("messages")
    flow.write_message()
    for k in "can we move friday":
        flow.compose_key(k if k != " " else "space")
    await shot("29_message_keyboard")
    flow.compose_cancel()
    (m.data_dir / "kiosk.json").write_text("{ damaged")
    access_log = logging.getLogger("kiosk.access")
    access_log.disabled = True  # the damage is staged for the shot: no error to report
    try:
        m.access.reload()
    finally:
        access_log.disabled = False
    flow.go("lock")
    await shot("22_closed")
    return files


class DemoWearables:
    """Simulated wearables (``SimSourceFactory``) whose sensor line follows the staging:
    a segment in ``away`` shows not connected, as a live wearable's does while lost."""

    demo = True
    ON = (BodySegment.THIGH, BodySegment.SHANK)  # the knee on two wearables

    def __init__(self, speed: float) -> None:
        from kiosk.adapters.sources import SimSourceFactory

        self.sim = SimSourceFactory(speed)
        self.speed = speed
        self.away: set[str] = set()

    def open(self, ex: Any, set_no: int) -> Any:
        from kiosk.i18n import _
        from kiosk.vm.live import SensorStatus, placement_name

        opened = self.sim.open(ex, set_no)
        names = {str(seg): _("Demo sensor ({placement})").format(
            placement=placement_name(str(seg)).lower()) for seg in ex.sensors}

        def status() -> tuple[SensorStatus, ...]:
            return tuple(SensorStatus(name, seg not in self.away,
                                      signal="lost" if seg in self.away else "good",
                                      demo=True, segment=seg) for seg, name in names.items())
        opened.status = status
        return opened


def _keys(flow: KioskFlow, digits: str) -> None:
    for k in digits:
        flow.key(k)
    flow.submit_entry()


def _provision_code(app: KioskApp) -> None:
    """The installer code, as `rehab kiosk code set` would write it."""
    from kiosk.settings import save_settings

    m = app.model
    save_settings(m.data_dir, m.settings.with_code(SHOT_CODE))
    m.access.reload()


async def _devices(app: KioskApp, shot: Callable[[str], Awaitable[None]]) -> None:
    """Installer settings > Find wearables (one paired, one chosen) and > Camera set-up (in
    a lit room and in a dark one), on the stand-ins of ``kiosk.demo_devices`` (no radio,
    no camera)."""
    from kiosk.demo_devices import DEMO_FOUND, demo_camera, demo_discover
    from kiosk.vm.pairing import PairingVM
    from therapy.devices import WearableRegistry

    flow = app.flow
    vm = PairingVM(WearableRegistry(app.model.store), lambda: (None, None), scan_s=0.0,
                   discover=demo_discover)
    flow.pairing_vm = vm
    flow.go_direct("pairing")
    await vm.scan()
    vm.select(DEMO_FOUND[0].advert.address)
    vm.place("shank")
    vm.select(DEMO_FOUND[1].advert.address)
    await shot("17_pairing")
    flow.close_pairing()
    flow.open_camera_setup()
    cam: Any = app.screens["camera_setup"]
    await _until(lambda: cam.view_ is not None and cam.view_.ready, 5)
    await shot("18_camera_setup")
    flow.close_camera_setup()  # the same set-up in a dark room: the light's message
    bright, app.model.camera = app.model.camera, lambda: demo_camera(dark=True)
    flow.open_camera_setup()
    app.model.camera = bright
    cam = app.screens["camera_setup"]
    await _until(lambda: cam.view_ is not None and cam.view_.problem == "too_dark", 5)
    await shot("30_camera_setup_dark")


async def _camera_exercise(app: KioskApp, shot: Callable[[str], Awaitable[None]]) -> None:
    """A camera exercise in progress: the stand-in camera's picture and skeleton beside
    the gauge and the count (simulated wearables count the reps)."""
    from kiosk.demo_devices import DemoCameraSources

    m, flow = app.model, app.flow
    speed = getattr(m.sources, "speed", 4.0)
    cams = DemoCameraSources(speed)
    m.sources = cams
    try:
        flow.go("today")
        flow.start_exercise(m.plan()[0].exercises[0])
        flow.pain_vm.choose(2)
        flow.pain_done()
        flow.begin_set()
        run = m.run
        assert run is not None
        await _until(lambda: run.live.reps_in_set >= 1 and cams.worker.latest() is not None,
                     60)
        await shot("27_camera_live")
        # the patient steps out of the picture: the room alone and the banner, as the
        # camera's stream gives it (tests/kiosk/test_kiosk_camera_out_of_view.py)
        from kiosk.demo_devices import demo_room_view

        run.camera_latest = demo_room_view()
        run.live.on_camera_view(str(run.camera_joint), True, flow.now())
        await asyncio.sleep(0.1)
        await shot("32_camera_unseen")
        flow.stop_set()
        run.end_set()
        await _until(lambda: not run.set_running, 10)
        m.run = None
    finally:
        await asyncio.get_running_loop().run_in_executor(None, cams.stop)


def _expired_plan(app: KioskApp) -> None:
    """A clinic plan that ended last month: Today says so (never the demo plan)."""
    import json
    from datetime import timedelta

    from therapy.plan import plan_to_json

    m = app.model
    plan = m.plan()[0]
    now = m.clock.now()
    body = plan_to_json(plan) | {"plan_id": "p-ended", "version": 2,
                                 "valid_from": (now - timedelta(days=90)).isoformat(),
                                 "valid_until": (now - timedelta(days=30)).isoformat()}
    from therapy.plan import parse_plan

    m.store.save_plan(parse_plan(body), json.dumps(body), now)


async def run_with_screenshots(app: KioskApp, out: Path) -> list[Path]:
    result: list[Path] = []

    async def driver() -> None:
        try:
            result.extend(await take_all(app, out))
        except Exception:  # supervised: log, then stop the app so the command ends
            log.exception("screenshots failed")
        finally:
            app.stop()

    task = asyncio.ensure_future(driver())
    await app.async_run(async_lib="asyncio")
    await task
    return result
