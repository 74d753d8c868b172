"""A kiosk set on a paired virtual wearable (bumble through unmodified bleak) reports the
wearable's battery level to the clinic when the set ends, over the kiosk's own clinic
adapter and a real Mosquitto, and the caseload shows it: the level a charged wearable
reports is what clears an earlier low-battery alert."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from send_world import SendWorld, send_world_fixture  # noqa: F401  # the fixture
from tests.helpers.ble_world import World
from tests.helpers.link_helpers import wait_for, write_toml

from kiosk.adapters.ble_sources import BleSourceFactory, paired_rows
from kiosk.adapters.clinic import LinkClinic
from kiosk.model import KioskModel
from mqtt.config import load_config
from mqtt.device import DeviceLink
from protocol.clock import ScaledClock
from sensors.ble.ports import Wearable, WearableKind
from sensors.sim import SimConfig, simulate
from sensors.types import BodySegment
from therapy.devices import WearableRegistry

pytestmark = pytest.mark.timeout(90)


async def test_a_set_reports_its_wearable_s_battery_to_the_caseload(
        send_world: SendWorld, tmp_path: Path) -> None:
    w = send_world
    w.watcher.store.add_status_event("dev-1", {"event": "battery", "segment": "shank",
                                               "battery_pct": 9, "at": "2026-01-01T00:00:00Z"})
    world = World(ScaledClock(2.0))
    dev = await world.rehab_imu(1, simulate(SimConfig(reps=4, drop_prob=0.0, seed=3)).distal,
                                battery_pct=64)
    m = KioskModel(tmp_path / "kiosk")
    write_toml(tmp_path / "k", broker=w.broker.url, device="dev-1", clinic="c1")
    w.link.stop()  # the kiosk's own adapter runs the device's link
    m.clinic.close()
    m.clinic = LinkClinic(DeviceLink(load_config(tmp_path / "k"), m.store))
    try:
        WearableRegistry(m.store).remember(
            Wearable(dev.address, dev.name, WearableKind.REHAB_IMU, BodySegment.SHANK), 64)
        m.sources = BleSourceFactory(paired_rows(m.store), m.store,
                                     connector_factory=world.connector, clock=world.clock)
        run = m.start_exercise(dataclasses.replace(m.plan()[0].exercises[0], sets=1, reps=2))
        run.start_set()
        assert run.error == "" and run.task is not None
        while not run.task.done():
            run.poll()
            await asyncio.sleep(0.05)
        await run.task
        got = wait_for(lambda: w.watcher.store.batteries()["dev-1"]["shank"][0] == 64, 10,
                       "the level after the set")
        assert got
        row = next(r for r in w.client.get("/api/caseload").json() if r["device"] == "dev-1")
        assert row["batteries"][0]["battery_pct"] == 64 and row["alerts"] == []
        assert "shank sensor 64 %" in w.client.get("/").text
    finally:
        await dev.close()
        m.close()
