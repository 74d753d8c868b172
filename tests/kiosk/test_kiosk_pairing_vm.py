"""Settings pairing view-model (no Kivy): the real ``sensors.ble.pairing`` scan and battery
read over bumble virtual wearables through bleak, placements remembered in the store, the
model's sources switching from simulated to the paired wearables, and forgetting."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.helpers.ble_world import World

from kiosk.model import KioskModel
from kiosk.vm.pairing import PLACEMENTS, ScanState, placement_label, signal_text
from protocol.clock import ScaledClock
from sensors.ble.virtual import BumbleScanner
from sensors.sim import SimConfig, simulate
from sensors.types import BodySegment
from therapy.devices import WearableRegistry

SCAN_S = 0.6


@pytest.mark.timeout(60)
async def test_scan_place_and_forget_on_virtual_wearables(tmp_path: Path) -> None:
    world = World(ScaledClock(1.0))
    motion = simulate(SimConfig(reps=1, drop_prob=0.0)).distal
    strong = await world.rehab_imu(1, motion, battery_pct=80)
    low = await world.rehab_imu(2, motion, battery_pct=9)
    m = KioskModel(tmp_path / "d",
                   pairing_ports=lambda: (BumbleScanner(world.air), world.connector()))
    try:
        assert m.sources.demo
        vm = m.pairing()
        vm.scan_s = SCAN_S
        assert vm.view().message == "Tap Find wearables to search."
        task = asyncio.ensure_future(vm.scan())
        await asyncio.sleep(0)
        assert vm.view().state == ScanState.SCANNING  # the loop is free while scanning
        assert "Looking for wearables" in vm.view().message
        await asyncio.wait_for(task, 30)
        v = vm.view()
        assert v.state == ScanState.DONE, vm.error
        by_addr = {f.address: f for f in v.found}
        assert set(by_addr) == {strong.address, low.address}
        assert "battery 80%" in by_addr[strong.address].text
        assert "dBm" in by_addr[strong.address].text
        assert by_addr[low.address].low_battery and "LOW: charge it" in by_addr[low.address].text
        assert not v.choosing and v.paired == ()

        vm.select(strong.address)
        assert vm.view().choosing and "Where is" in vm.view().message
        done = vm.place(BodySegment.SHANK)
        assert done.endswith("is now on the lower leg.")
        assert [r[0] for r in WearableRegistry(m.store).all()] == [strong.address]
        assert not m.sources.demo  # the next set uses the paired wearable
        assert m.sources.wearables["shank"][0] == strong.address  # type: ignore[attr-defined]
        v = vm.view()
        assert [p.text for p in v.paired] == [f"Lower leg: {strong.name} · battery 80%"]
        assert next(f for f in v.found if f.address == strong.address).placed_on == "shank"

        # one placement holds one wearable: placing the other on the shank replaces it
        vm.select(low.address)
        vm.place("shank")
        assert [p.address for p in vm.view().paired] == [low.address]
        vm.forget(low.address)
        assert vm.view().paired == () and vm.view().message.startswith("Forgot")
        assert m.sources.demo  # nothing paired: simulated again
    finally:
        await strong.close()
        await low.close()
        m.close()


async def test_a_failing_radio_becomes_a_message_not_an_exception(tmp_path: Path) -> None:
    def no_radio() -> tuple[object, object]:
        raise OSError("No Bluetooth adapter found")

    m = KioskModel(tmp_path / "d", pairing_ports=no_radio)
    try:
        vm = m.pairing()
        await vm.scan()
        v = vm.view()
        assert v.state == ScanState.FAILED and v.found == ()
        assert v.message == "Could not search: No Bluetooth adapter found. Is Bluetooth on?"
    finally:
        m.close()


async def test_nothing_in_range_says_what_to_do(tmp_path: Path) -> None:
    world = World(ScaledClock(1.0))
    m = KioskModel(tmp_path / "d", pairing_ports=lambda: (BumbleScanner(world.air), None))
    try:
        vm = m.pairing()
        vm.scan_s = 0.2
        await vm.scan()
        assert vm.view().message.startswith("No wearables found")
        assert vm.place("thigh") == ""  # nothing selected: nothing remembered
    finally:
        m.close()


def test_labels() -> None:
    assert placement_label("upper_arm") == "Upper arm"
    assert placement_label(BodySegment.SHANK) == "Lower leg"
    assert BodySegment.UNKNOWN not in PLACEMENTS and len(PLACEMENTS) == 8
    assert signal_text(-50) == "signal strong (-50 dBm)"
    assert signal_text(-80) == "signal weak (-80 dBm)"
