"""With a wearable paired, the kiosk runs the set on it: a virtual wearable (bumble, through
unmodified bleak), the real motion core and session controller; the live status shows the
wearable connected with its battery, and the set ends by itself at the target reps."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from tests.helpers.ble_world import World  # noqa: E402

from kiosk.adapters.ble_sources import BleSourceFactory, MissingWearable, paired_rows  # noqa: E402
from kiosk.model import KioskModel, default_sources  # noqa: E402
from protocol.clock import ScaledClock  # noqa: E402
from sensors.ble.ports import Wearable, WearableKind  # noqa: E402
from sensors.sim import SimConfig, simulate  # noqa: E402
from sensors.types import BodySegment  # noqa: E402
from therapy.devices import WearableRegistry  # noqa: E402

REPS = 3


@pytest.mark.timeout(90)
async def test_kiosk_set_on_a_paired_virtual_wearable(tmp_path: Path) -> None:
    world = World(ScaledClock(2.0))
    sim = simulate(SimConfig(reps=REPS + 2, drop_prob=0.0, seed=3))
    dev = await world.rehab_imu(1, sim.distal, battery_pct=64)
    m = KioskModel(tmp_path / "d")
    assert m.sources.demo  # nothing paired yet: simulated wearables
    WearableRegistry(m.store).remember(
        Wearable(dev.address, dev.name, WearableKind.REHAB_IMU, BodySegment.SHANK), 64)
    assert not default_sources(m.store).demo
    m.sources = BleSourceFactory(paired_rows(m.store), m.store, connector_factory=world.connector,
                                 clock=world.clock)
    ex = dataclasses.replace(m.plan()[0].exercises[0], sets=1, reps=REPS)
    run = m.start_exercise(ex)
    run.start_set()
    assert run.error == "" and run.task is not None
    seen_connected = False
    while not run.task.done():
        run.poll()  # what the live screen does every frame
        seen_connected |= "connected · battery 64%" in run.live.status_text
        await asyncio.sleep(0.05)
    await run.task
    assert run.error == ""
    assert seen_connected and not run.live.demo
    assert REPS <= run.live.reps_total <= REPS + 1  # ended by the kiosk at the target
    rec = m.finish_exercise()
    assert rec.reps == run.live.reps_total
    await dev.close()
    m.close()


def test_missing_placement_is_a_clear_error() -> None:
    f = BleSourceFactory([("AA:BB", "imu", "rehab_imu", "thigh")], None)
    from therapy.plan import exercise_from_catalogue

    with pytest.raises(MissingWearable, match="no wearable is placed on the shank"):
        f.open(exercise_from_catalogue("knee_extension_seated"), 1)
