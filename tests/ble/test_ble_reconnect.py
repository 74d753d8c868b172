"""Drops mid-set through the real GATT path: pause, reconnect with back-off, resume, gap
recorded; a wearable that stays away ends the set cleanly (and a stopped link ends even
while an attempt to reach it is pending); a low battery warns."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from tests.helpers.ble_world import World

from protocol.backoff import BackoffPolicy
from protocol.clock import ScaledClock
from sensors.ble.connector import BleakConnector, plain_resolve
from sensors.ble.drivers import RehabImuDriver
from sensors.link_events import LinkEventKind, LinkPolicy
from sensors.ble.link import WearableLink
from sensors.live_set import LiveSet
from sensors.ble.ports import Wearable, WearableKind
from sensors.set_supervision import ActionKind, SetGap
from sensors.ble.virtual import BumbleBleakBackend
from sensors.sim import SimConfig, simulate
from sensors.types import BodySegment

SPEED = 2.0  # slow enough that a loaded machine does not fake a silent link
FAST = LinkPolicy(backoff=BackoffPolicy(initial_s=0.05, factor=2.0, max_s=0.2),
                  max_away_s=6.0, silence_timeout_s=1.0)


class Control:
    """Records what the live set asks of the session controller."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def pause(self) -> None:
        self.calls.append("pause")

    def resume(self) -> None:
        self.calls.append("resume")

    def stop(self) -> None:
        self.calls.append("stop")


class GapStore:
    def __init__(self) -> None:
        self.saved: list[tuple[str, int, list[SetGap]]] = []

    def save_gaps(self, session_id: str, set_no: int, gaps: list[SetGap]) -> None:
        self.saved.append((session_id, set_no, list(gaps)))


async def _read_until(source, t_end: float, got: list) -> None:  # type: ignore[no-untyped-def]
    async for chunk in source:
        got.append(chunk)
        if chunk.t_s[-1] >= t_end:
            return


@pytest.mark.timeout(60)
async def test_a_drop_mid_set_pauses_reconnects_resumes_and_records_the_gap() -> None:
    sim = simulate(SimConfig(reps=3, two_segment=True, drop_prob=0.0))
    assert sim.proximal is not None
    world = World(ScaledClock(SPEED))
    shank_dev = await world.rehab_imu(1, sim.distal)
    thigh_dev = await world.rehab_imu(2, sim.proximal)
    shank = world.source(shank_dev, BodySegment.SHANK, FAST)
    thigh = world.source(thigh_dev, BodySegment.THIGH, FAST)
    control = Control()
    live = LiveSet([shank.link, thigh.link], control, world.clock)
    live.start()
    t0 = world.clock.now()
    got_shank: list = []
    got_thigh: list = []
    readers = [asyncio.ensure_future(_read_until(shank, t0 + 12.0, got_shank)),
               asyncio.ensure_future(_read_until(thigh, t0 + 12.0, got_thigh))]
    while not (shank.link.connected and thigh.link.connected):
        await asyncio.sleep(0.02)
    await asyncio.sleep(3.0 / SPEED)
    await thigh_dev.drop(for_s=2.0)  # out of range for 2 s, then advertising again
    await asyncio.wait_for(asyncio.gather(*readers), 30.0)
    store = GapStore()
    gaps = await live.close(store, "session-1", 1)
    for s in (shank, thigh):
        await s.aclose()
    await shank_dev.close()
    await thigh_dev.close()

    kinds = [e.kind for e in thigh.link.events_]
    assert kinds[:3] == [LinkEventKind.CONNECTED, LinkEventKind.LOST, LinkEventKind.BACK]
    assert thigh.link.connects >= 2
    assert control.calls[:2] == ["pause", "resume"]
    pause = next(a for a in live.actions_ if a.kind == ActionKind.PAUSE)
    assert pause.sensor_id == thigh.info.sensor_id and "thigh sensor lost" in pause.message
    assert len(gaps) == 1 and gaps[0].sensor_id == thigh.info.sensor_id
    assert gaps[0].duration_s is not None and 1.5 < gaps[0].duration_s < 6.0
    assert store.saved == [("session-1", 1, gaps)]
    # the stream continued after the gap, in time order, with the outage as a time gap
    t = [float(c.t_s[0]) for c in got_thigh]
    assert t == sorted(t) and got_thigh[-1].t_s[-1] >= t0 + 12.0
    steps = [b.t_s[0] - a.t_s[-1] for a, b in itertools.pairwise(got_thigh)]
    assert max(steps) > 1.5
    assert shank.link.events_[0].kind == LinkEventKind.CONNECTED
    assert all(e.kind != LinkEventKind.LOST for e in shank.link.events_)


@pytest.mark.timeout(60)
async def test_a_wearable_that_stays_away_ends_the_set_cleanly() -> None:
    sim = simulate(SimConfig(reps=3, drop_prob=0.0))
    world = World(ScaledClock(SPEED))
    dev = await world.rehab_imu(1, sim.distal)
    source = world.source(dev, BodySegment.SHANK, FAST)
    control = Control()
    live = LiveSet([source.link], control, world.clock, max_away_s=FAST.max_away_s)
    live.start()
    got: list = []

    async def read() -> None:
        async for chunk in source:
            got.append(chunk)

    reader = asyncio.ensure_future(read())
    while not source.link.connected:
        await asyncio.sleep(0.02)
    await asyncio.sleep(2.0 / SPEED)
    away = asyncio.ensure_future(dev.drop(for_s=600.0))  # gone for good
    # The source ends by itself, no exception, while the wearable is still away. Before,
    # the reconnection attempt never returned until the wearable advertised again.
    await asyncio.wait_for(reader, 15.0)
    assert dev.away
    gaps = await live.close()
    away.cancel()
    await source.aclose()
    await dev.close()

    assert control.calls[0] == "pause" and control.calls[-1] == "stop"
    end = live.actions_[-1]
    assert end.kind == ActionKind.END and "set ended" in end.message
    assert len(gaps) == 1 and gaps[0].end_s is None
    assert got, "samples before the drop reached the consumer"


@pytest.mark.timeout(60)
async def test_battery_below_15_percent_warns_once() -> None:
    sim = simulate(SimConfig(reps=2, drop_prob=0.0))
    world = World(ScaledClock(SPEED))
    dev = await world.rehab_imu(1, sim.distal, battery_pct=40)
    source = world.source(dev, BodySegment.SHANK, FAST)
    control = Control()
    live = LiveSet([source.link], control, world.clock)
    warnings: list[str] = []
    live.listeners.append(lambda a: warnings.append(a.message)
                          if a.kind == ActionKind.WARN else None)
    task = asyncio.ensure_future(source.link.run())
    while not source.link.connected:
        await asyncio.sleep(0.02)
    assert source.link.battery_pct == 40 and not warnings
    await dev.set_battery(12)
    await asyncio.sleep(0.2)
    await dev.set_battery(11)
    await asyncio.sleep(0.2)
    source.link.stop()
    await asyncio.wait_for(task, 10.0)
    await live.close()
    await dev.close()
    assert warnings == ["shank sensor battery low (12 %): charge it after this set"]
    assert control.calls == []


@pytest.mark.timeout(60)
async def test_stop_ends_a_link_whose_wearable_is_away_at_once() -> None:
    """A connection attempt may take long to fail (BlueZ: many seconds); stop() ends it.
    Before, run() went on waiting for the attempt."""
    sim = simulate(SimConfig(reps=2, drop_prob=0.0))
    world = World(ScaledClock(SPEED))
    dev = await world.rehab_imu(1, sim.distal)
    await dev.device.stop_advertising()  # switched on, but out of range
    connector = BleakConnector(backend=BumbleBleakBackend, resolve=plain_resolve,
                               bumble_air=world.air, max_attempts=1,
                               bumble_connect_timeout_s=60.0)
    w = Wearable(dev.address, dev.name, WearableKind.REHAB_IMU, BodySegment.SHANK)
    link = WearableLink(w, RehabImuDriver(world.clock), connector, clock=world.clock,
                        policy=FAST)
    task = asyncio.ensure_future(link.run())
    await asyncio.sleep(0.3)  # the first attempt is pending
    assert not task.done() and link.events_ == []
    link.stop()
    await asyncio.wait_for(task, 2.0)
    await dev.close()
    assert link.queue.get_nowait() is None and not link.connected
