"""A request the BLE stack cancels under the link (bumble and bleak cancel the requests
pending on a connection they tear down, e.g. a time-sync write as the wearable walks away)
is a lost connection: the link reports it and reconnects. It must not end the link's task,
which would silently end the sensor's stream. Cancelling the link's own task still cancels.

Fakes stand in for the radio here so the race is hit every time; the bumble tests in
test_ble_reconnect.py hit it only now and then, under load.
"""

from __future__ import annotations

import asyncio

import pytest

from protocol.backoff import BackoffPolicy
from protocol.clock import MonotonicClock
from sensors.link_events import LinkEventKind, LinkPolicy
from sensors.ble.link import WearableLink
from sensors.ble.ports import Wearable, WearableKind
from sensors.types import BodySegment


class _Client:
    is_connected = True

    async def disconnect(self) -> None:
        pass


class _Connector:
    def __init__(self) -> None:
        self.connects = 0

    async def connect(self, address, name, on_disconnect):  # type: ignore[no-untyped-def]
        self.connects += 1
        return _Client()


class _Driver:
    """Ticks fine, except the first tick after the first connection: cancelled under it."""

    kind = WearableKind.REHAB_IMU
    counters = None

    def __init__(self, clock: MonotonicClock, *, hang: bool = False) -> None:
        self.clock = clock
        self.hang = hang
        self.ticks = 0

    @property
    def last_rx_s(self) -> float:
        return self.clock.now()

    async def start(self, client, sink) -> None:  # type: ignore[no-untyped-def]
        pass

    async def tick(self, client) -> None:  # type: ignore[no-untyped-def]
        self.ticks += 1
        if self.hang:
            await asyncio.Event().wait()
        if self.ticks == 1:
            pending = asyncio.get_running_loop().create_future()
            pending.cancel()  # what the stack does to a request on a dropped connection
            await pending

    async def stop(self, client) -> None:  # type: ignore[no-untyped-def]
        pass


def _link(driver: _Driver, connector: _Connector, clock: MonotonicClock) -> WearableLink:
    wearable = Wearable("AA:BB:CC:DD:EE:01", "rehab-imu", WearableKind.REHAB_IMU,
                        BodySegment.SHANK)
    policy = LinkPolicy(backoff=BackoffPolicy(initial_s=0.01, max_s=0.01), sync_interval_s=0.02)
    return WearableLink(wearable, driver, connector, clock=clock, policy=policy)  # type: ignore[arg-type]


async def test_a_request_cancelled_by_the_stack_is_a_lost_connection():
    clock = MonotonicClock()
    connector = _Connector()
    link = _link(_Driver(clock), connector, clock)
    task = asyncio.ensure_future(link.run())
    for _ in range(200):
        if len(link.events_) >= 3:
            break
        await asyncio.sleep(0.01)
    link.stop()
    await asyncio.wait_for(task, 2.0)  # ends normally, not cancelled
    kinds = [e.kind for e in link.events_]
    assert kinds[:3] == [LinkEventKind.CONNECTED, LinkEventKind.LOST, LinkEventKind.BACK]
    assert link.events_[1].reason == "disconnected"  # the same words as any other drop
    assert connector.connects == 2


async def test_cancelling_the_link_task_still_cancels_it():
    clock = MonotonicClock()
    link = _link(_Driver(clock, hang=True), _Connector(), clock)
    task = asyncio.ensure_future(link.run())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [e.kind for e in link.events_] == [LinkEventKind.CONNECTED]
