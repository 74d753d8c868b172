"""The visit screen's video tick ends when the screen is left, or when the app stops
(KioskApp.on_stop leaves the current screen), and starts again when the call is shown
again: nothing of the screen runs on in a stopped kiosk (issue 15, the stop path)."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="visit-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy  # noqa: E402

configure_kivy((800, 480), fullscreen=False, pi=False)

from kivy.clock import Clock  # noqa: E402
from tests.helpers.fake_visit import FakeVisit  # noqa: E402

from kiosk.ui.visit_screen import REFRESH_HZ, VisitScreen  # noqa: E402
from kiosk.vm.visit import Phase  # noqa: E402
from mqtt.visit import Offer  # noqa: E402


async def _ticks(counted: list[int]) -> int:
    """How many video ticks run in three tick periods of Kivy's (process-wide) clock."""
    before = counted[0]
    for _ in range(3):
        await asyncio.sleep(1.5 / REFRESH_HZ)
        Clock.tick()
    return counted[0] - before


async def test_leaving_the_visit_screen_ends_its_tick_and_showing_it_starts_it() -> None:
    visit = FakeVisit()
    vm = visit.vm
    screen = VisitScreen(vm, name="visit")
    vm.on_change = screen.refresh
    vm.offered(Offer("call-1", "appt-1", "v=0\r\n", "c1", "dev-a", datetime.now(UTC)))
    await vm.accept()
    assert vm.phase == Phase.CONNECTING
    counted = [0]
    latest = visit.calls[0].latest_remote

    def count() -> object:  # the tick asks the call for its newest remote frame
        counted[0] += 1
        return latest()
    visit.calls[0].latest_remote = count  # type: ignore[method-assign]
    assert await _ticks(counted) >= 1  # in a call, on screen: the tick runs
    screen.dispatch("on_pre_leave")
    screen.dispatch("on_leave")
    assert await _ticks(counted) == 0, "the video tick ran after the screen was left"
    screen.refresh()  # shown again (the flow's navigator refreshes the screen it shows)
    assert await _ticks(counted) >= 1
    screen.dispatch("on_leave")
    await vm.hang_up()
