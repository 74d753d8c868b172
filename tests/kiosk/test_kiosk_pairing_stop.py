"""Settings > Find wearables, stopped mid-scan (issue 15): the app stopping (systemd's
SIGTERM goes through the same App.stop) or the screen being left while the scan over
bumble virtual wearables runs ends the scan task and the screen's 4 Hz tick, so nothing of
the pairing screen runs afterwards: no read of the closed store, no error logged. Before,
the tick outlived the app: its next run, in whatever app came next in the process (the
poison-render test), read the closed database and that app hung."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path
from typing import Any

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy

configure_kivy((800, 480), fullscreen=False, pi=False)

from kivy.clock import Clock
from kivy.uix.button import Button

from tests.helpers.kiosk_touch import running_kiosk, tap, texts, until
from pairing_helpers import to_settings, wearable_and_kiosk

from kiosk.adapters.audio import AudioCues
from kiosk.ui.screens_pairing import TICK_S
from kiosk.vm.pairing import ScanState

LONG_SCAN_S = 60.0  # still scanning whenever the test stops it


def _searching(app: Any) -> list[Button]:
    """The "Searching…" buttons on screen, disabled or not (kiosk_touch.buttons() leaves
    disabled ones out)."""
    return [w for w in app.root.walk() if isinstance(w, Button) and w.text == "Searching…"]


async def _scan_running(app: Any) -> Any:
    """Tap Find wearables; returns the view-model once its scan task is running."""
    await tap(app, "Find wearables")
    assert app.sm.current == "pairing"
    vm, scanning = app.flow.pairing_vm, app.flow.scanning
    assert vm is not None and scanning is not None
    # the precondition, explicit: the scan task has started and is still on the radio
    assert vm.state == ScanState.SCANNING and not scanning.done(), (vm.state, vm.error)
    return vm


def _count_views(vm: Any) -> list[int]:
    """Count the view-model's view() calls (the screen's tick reads the store through it)."""
    calls = [0]
    view = vm.view

    def counted() -> Any:
        calls[0] += 1
        return view()
    vm.view = counted
    return calls


@pytest.mark.timeout(90)
async def test_stopping_the_app_mid_scan_ends_the_scan_and_the_tick(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    dev, model = await wearable_and_kiosk(tmp_path, LONG_SCAN_S)
    caplog.set_level(logging.WARNING)
    try:
        async with running_kiosk(model, pin=None, audio=AudioCues(enabled=False)) as app:
            await to_settings(app)
            vm = await _scan_running(app)
            # drawn right after the tap: "Searching…" shows, and cannot be tapped
            [searching] = _searching(app)
            assert searching.disabled
            scanning = app.flow.scanning
            calls = _count_views(vm)
            await asyncio.sleep(2 * TICK_S)
            assert calls[0] >= 1  # the tick runs while the screen shows (the spy works)
            warned = len(caplog.records)
        # the app stopped and the model closed (running_kiosk) while the scan ran
        await until(scanning.done, 10, "the scan task's end (bleak's scanner stops)")
        assert scanning.cancelled(), "the scan task outlived the app"
        assert vm.state != ScanState.SCANNING
        calls[0] = 0
        for _ in range(3):  # Kivy's clock is the process's: the next app would tick it
            await asyncio.sleep(TICK_S + 0.05)
            Clock.tick()
        assert calls[0] == 0, "the pairing screen's tick ran after the app stopped"
        assert [r.getMessage() for r in caplog.records[warned:]] == []
    finally:
        await dev.close()


@pytest.mark.timeout(90)
async def test_leaving_the_screen_mid_scan_ends_the_scan_and_a_new_visit_scans_afresh(
        tmp_path: Path) -> None:
    dev, model = await wearable_and_kiosk(tmp_path, LONG_SCAN_S)
    try:
        async with running_kiosk(model, pin=None, audio=AudioCues(enabled=False)) as app:
            await to_settings(app)
            vm = await _scan_running(app)
            scanning = app.flow.scanning
            calls = _count_views(vm)
            await tap(app, "Back to Settings")
            assert app.sm.current == "installer", texts(app)
            assert vm.state == ScanState.IDLE  # at once: the view says "Search again"
            await until(scanning.done, 10, "the scan task's end (bleak's scanner stops)")
            assert scanning.cancelled()
            calls[0] = 0
            await asyncio.sleep(3 * TICK_S)
            assert calls[0] == 0, "the pairing screen's tick ran on the settings screen"

            await _scan_running(app)  # a second visit: a new view-model, scanning again
            assert app.flow.pairing_vm is not vm
    finally:
        await dev.close()
