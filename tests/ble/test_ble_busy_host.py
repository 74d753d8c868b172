"""A busy kiosk is not a silent wearable (issue 15, the BLE touch test under load): while
the host's loop is stalled, the wearable's notifications wait unread in the stack, so the
link's silence watch must not count the stall as the wearable's silence; a wearable that
really sends nothing (batches taken but never sent) is still lost after the timeout."""

from __future__ import annotations

import asyncio
import time

import pytest
from tests.helpers.ble_world import World

from protocol.backoff import BackoffPolicy
from protocol.clock import ScaledClock
from sensors.link_events import LinkEventKind, LinkPolicy
from sensors.sim import SimConfig, simulate
from sensors.types import BodySegment

SPEED = 2.0
POLICY = LinkPolicy(backoff=BackoffPolicy(initial_s=0.05, factor=2.0, max_s=0.2),
                    max_away_s=30.0, silence_timeout_s=1.0)
STALL_S = 1.5  # real seconds the loop is blocked: 3 clock seconds, three timeouts' worth


async def _streaming(world: World, dev: object) -> tuple[object, list]:
    source = world.source(dev, BodySegment.SHANK, POLICY)  # type: ignore[arg-type]
    got: list = []

    async def read() -> None:
        async for chunk in source:
            got.append(chunk)
    reader = asyncio.ensure_future(read())
    while len(got) < 3:  # connected and streaming
        await asyncio.sleep(0.02)
    return source, [reader, got]


@pytest.mark.timeout(60)
async def test_a_stalled_host_loop_does_not_lose_a_streaming_wearable() -> None:
    world = World(ScaledClock(SPEED))
    dev = await world.rehab_imu(1, simulate(SimConfig(reps=3, drop_prob=0.0)).distal)
    source, (reader, got) = await _streaming(world, dev)
    link = source.link  # type: ignore[attr-defined]
    try:
        time.sleep(STALL_S)  # the kiosk's loop busy (a model load, a GC pause, a slow frame)
        before = len(got)
        await asyncio.sleep(2.0 / SPEED)  # two silence timeouts of the loop on time
        assert len(got) > before  # the wearable streamed on after the stall
        assert [str(e.kind) for e in link.events_] == ["connected"], \
            [e.message() for e in link.events_]
    finally:
        await source.aclose()  # type: ignore[attr-defined]
        reader.cancel()
        await dev.close()


@pytest.mark.timeout(60)
async def test_a_wearable_that_sends_nothing_is_still_lost_after_the_timeout() -> None:
    world = World(ScaledClock(SPEED))
    dev = await world.rehab_imu(1, simulate(SimConfig(reps=3, drop_prob=0.0)).distal)
    source, (reader, _got) = await _streaming(world, dev)
    link = source.link  # type: ignore[attr-defined]
    try:
        dev.skip_batches = 10**9  # connected, answering, but no IMU data any more
        for _ in range(200):  # at most 4 s real (8 clock s) for a 1 s timeout
            if any(e.kind == LinkEventKind.LOST for e in link.events_):
                break
            await asyncio.sleep(0.02)
        lost = [e for e in link.events_ if e.kind == LinkEventKind.LOST]
        assert lost and lost[0].reason == "no data for 1 s", [e.message() for e in link.events_]
    finally:
        await source.aclose()  # type: ignore[attr-defined]
        reader.cancel()
        await dev.close()
