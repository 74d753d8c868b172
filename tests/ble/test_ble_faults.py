"""Bad notifications through the real GATT path: counted, skipped, nothing escapes."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from tests.helpers.ble_world import World

from protocol.clock import ScaledClock
from sensors.ble.drivers import RehabImuDriver
from sensors.sim import SimConfig, simulate
from sensors.types import BodySegment

SPEED = 2.0  # slow enough that a loaded machine does not fake a silent link


@pytest.mark.timeout(60)
async def test_corrupt_short_jumps_and_duplicates_are_counted_and_skipped() -> None:
    loop_errors: list[dict] = []
    asyncio.get_running_loop().set_exception_handler(lambda _l, ctx: loop_errors.append(ctx))
    sim = simulate(SimConfig(reps=2, drop_prob=0.0))
    world = World(ScaledClock(SPEED))
    dev = await world.rehab_imu(1, sim.distal)
    source = world.source(dev, BodySegment.SHANK)
    got: list = []

    async def read(n: int) -> None:
        async for chunk in source:
            got.append(chunk)
            if sum(len(c) for c in got) >= n:
                return

    await asyncio.wait_for(read(200), 20.0)
    for bad in (b"", b"\x00" * 5, b"\xff" * 21, b"\x00" * 22 + b"\x01" * 12,  # n=0
                bytes(22 + 12 * 19), b"\x01" * 300):
        await dev.inject(bad)
    dev.skip_batches = 2  # a 20-sample jump in sample_seq
    dev.repeat_batches = 3  # three batches arrive twice
    await asyncio.wait_for(read(800), 20.0)
    await source.aclose()
    await dev.close()

    driver = source.link.driver
    assert isinstance(driver, RehabImuDriver)
    c = driver.counters
    assert (c.corrupt, c.gaps, c.lost, c.duplicates) == (6, 1, 20, 3)
    t = [x for chunk in got for x in chunk.t_s.tolist()]
    assert all(b > a for a, b in itertools.pairwise(t)), "every accepted sample once, in order"
    assert c.samples >= len(t)
    assert not loop_errors
    assert [e.kind for e in source.link.events_] == ["connected"]
