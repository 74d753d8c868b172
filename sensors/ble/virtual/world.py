"""Virtual wearables standing in for the paired ones (``rehab session --source ble
--virtual``): a demo and test path with no radio, as ``rehab pair --virtual`` is.

Each paired address gets a bumble wearable on one :class:`VirtualAir`, moving through a
simulated exercise on ``clock``; the session's links reach them through bleak with the
bumble backend, so everything from GATT up (the link, reconnects, the live set) is the
code a real wearable meets. :meth:`VirtualWearables.walk_away` takes one out of range for
a while, as a patient walking off would.
"""

from __future__ import annotations

import asyncio
import logging

from protocol.clock import Clock, real_seconds
from sensors.ble.connector import BleakConnector, plain_resolve
from sensors.ble.virtual.air import VirtualAir
from sensors.ble.virtual.backend import BumbleBleakBackend
from sensors.ble.virtual.peripherals import VirtualRehabImu
from sensors.types import ImuChunk

log = logging.getLogger(__name__)
DEVICE_ID_BASE = 0x5EED_0000_0000_0000  # as ``rehab pair --virtual`` numbers them


class VirtualWearables:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.air = VirtualAir()
        self.devices: dict[str, VirtualRehabImu] = {}  # by body segment

    async def add(self, address: str, segment: str, motion: ImuChunk,
                  battery_pct: int = 80) -> VirtualRehabImu:
        n = len(self.devices) + 1
        dev = VirtualRehabImu(self.air, address, motion, self.clock,
                              device_id=DEVICE_ID_BASE + n, battery_pct=battery_pct)
        await dev.start()
        self.devices[segment] = dev
        return dev

    def connector(self) -> BleakConnector:
        return BleakConnector(backend=BumbleBleakBackend, resolve=plain_resolve,
                              bumble_air=self.air, max_attempts=1)

    async def walk_away(self, segment: str, at_s: float, for_s: float) -> None:
        """``at_s`` clock seconds from now, the wearable on ``segment`` goes out of range
        for ``for_s`` clock seconds, then advertises again."""
        await asyncio.sleep(real_seconds(self.clock, at_s))
        log.info("virtual %s wearable walks away for %.1f s", segment, for_s)
        await self.devices[segment].drop(for_s)

    async def close(self) -> None:
        for dev in self.devices.values():
            await dev.close()
