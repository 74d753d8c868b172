"""Shared set-up for the BLE tests: virtual wearables on a bumble link, driven through
bleak + bleak-retry-connector with the bumble backend (no Bluetooth hardware)."""

from __future__ import annotations

from dataclasses import dataclass, field

from protocol.clock import ScaledClock
from sensors.ble.connector import BleakConnector, plain_resolve
from sensors.ble.drivers import RehabImuDriver, WitMotionDriver
from sensors.link_events import LinkPolicy
from sensors.ble.link import DEFAULT_POLICY, WearableLink
from sensors.ble.ports import Wearable, WearableKind
from sensors.ble.source import BleSource
from sensors.ble.virtual import BumbleBleakBackend, VirtualAir, VirtualRehabImu, VirtualWitMotion
from sensors.types import BodySegment, ImuChunk


@dataclass
class World:
    clock: ScaledClock
    air: VirtualAir = field(default_factory=VirtualAir)

    def connector(self) -> BleakConnector:
        return BleakConnector(backend=BumbleBleakBackend, resolve=plain_resolve,
                              bumble_air=self.air, max_attempts=1)

    async def rehab_imu(self, n: int, motion: ImuChunk, **kw: object) -> VirtualRehabImu:
        dev = VirtualRehabImu(self.air, f"F1:00:00:00:00:{n:02X}", motion, self.clock,
                              device_id=0x5EED_0000_0000_0000 + n, **kw)  # type: ignore[arg-type]
        await dev.start()
        return dev

    async def witmotion(self, n: int, motion: ImuChunk, **kw: object) -> VirtualWitMotion:
        dev = VirtualWitMotion(self.air, f"F2:00:00:00:00:{n:02X}", motion, self.clock,
                               **kw)  # type: ignore[arg-type]
        await dev.start()
        return dev

    def source(self, dev: VirtualRehabImu | VirtualWitMotion, segment: BodySegment,
               policy: LinkPolicy = DEFAULT_POLICY, rate_hz: float = 100.0) -> BleSource:
        if isinstance(dev, VirtualRehabImu):
            kind, driver = WearableKind.REHAB_IMU, RehabImuDriver(self.clock)
        else:
            kind, driver = WearableKind.WITMOTION, WitMotionDriver(self.clock, rate_hz)  # type: ignore[assignment]
        w = Wearable(dev.address, dev.name, kind, segment)
        link = WearableLink(w, driver, self.connector(), clock=self.clock, policy=policy)
        return BleSource(link, rate_hz)
