"""The SampleSource contract on a BLE wearable (sensors.ble.source.BleSource).

A bumble virtual wearable (tests/helpers/ble_world.py) driven through unmodified bleak code,
on a clock 10 times faster than real time. The wearable plays the motion from power-on, so
the first seconds may pass before the host subscribes (``FULL_MOTION = False``)."""

from __future__ import annotations

import asyncio
import contextlib

from tests.helpers.ble_world import World
from source_contract import ENDED, ImuSourceContract

from protocol.backoff import BackoffPolicy
from protocol.clock import ScaledClock
from sensors.link_events import LinkPolicy
from sensors.live_set import LiveSet
from sensors.ble.source import BleSource
from sensors.source import SensorError
from sensors.types import BodySegment

SPEED = 10.0
# Quick retries; away for 2 s of host clock and the wearable is gone for good.
SHORT_POLICY = LinkPolicy(backoff=BackoffPolicy(initial_s=0.05, factor=2.0, max_s=0.2),
                          max_away_s=2.0, silence_timeout_s=1.0)
GONE_WITHIN_S = 5.0  # real seconds: 0.2 s away at SPEED, then the supervisor's check


class TestBleSourceContract(ImuSourceContract):
    FINITE = False  # a wearable streams until the link is closed (or it is gone)
    FULL_MOTION = False

    async def _wearable(self, stack: contextlib.AsyncExitStack,
                        policy: LinkPolicy | None = None) -> tuple[object, BleSource]:
        world = World(ScaledClock(SPEED))
        dev = await world.rehab_imu(1, self.motion)
        stack.push_async_callback(dev.close)
        source = (world.source(dev, BodySegment.SHANK, policy) if policy is not None
                  else world.source(dev, BodySegment.SHANK))
        stack.push_async_callback(source.aclose)
        return dev, source

    async def make(self, stack: contextlib.AsyncExitStack) -> BleSource:
        return (await self._wearable(stack))[1]

    async def failure(self, stack: contextlib.AsyncExitStack) -> BaseException | str:
        """The wearable walks away mid-set and stays away: the set's supervision
        (:class:`~sensors.live_set.LiveSet`, max_away_s) stops the link, so the stream
        must end within a few seconds."""
        dev, source = await self._wearable(stack, SHORT_POLICY)
        live = LiveSet([source.link], _Control(), source.link.clock,
                       max_away_s=SHORT_POLICY.max_away_s)
        live.start()
        stack.push_async_callback(live.close)
        await self.read(source, min_samples=20)
        away = asyncio.ensure_future(dev.drop(for_s=600.0))  # type: ignore[attr-defined]
        stack.callback(away.cancel)
        try:
            await self.rest(source, timeout_s=GONE_WITHIN_S)
        except SensorError as exc:
            return exc
        except Exception as exc:  # noqa: BLE001 - returned for the contract to judge
            return exc
        return ENDED


class _Control:
    """The session controller LiveSet drives (pause, resume, stop): nothing to do here."""

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def stop(self) -> None: ...
