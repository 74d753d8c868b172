"""Pairing: scan, list our wearables with RSSI and battery, assign a body placement, remember.

``rehab pair`` and the kiosk's Settings screen both call :func:`discover` then
:func:`remember`. The battery is read with a short connection (standard Battery Level for
our firmware, register 0x64 for a WitMotion); a wearable that will not connect is still
listed, with its battery unknown.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Protocol

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic

from sensors.ble import gatt, witmotion
from sensors.ble.connector import Connector
from sensors.ble.errors import BleError
from sensors.ble.link import LINK_ERRORS
from sensors.ble.ports import Advert, Scanner, Wearable, WearableKind, classify
from sensors.types import BodySegment

log = logging.getLogger(__name__)
BATTERY_READ_TIMEOUT_S = 3.0


@dataclass(frozen=True, slots=True)
class Found:
    advert: Advert
    kind: WearableKind
    battery_pct: int | None = None

    def wearable(self, segment: BodySegment) -> Wearable:
        return Wearable(self.advert.address, self.advert.name, self.kind, segment)


class Registry(Protocol):
    def remember(self, w: Wearable, battery_pct: int | None = None) -> None: ...


async def _witmotion_battery(client: BleakClient) -> int:
    fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def on_notify(_c: BleakGATTCharacteristic, data: bytearray) -> None:
        try:
            packets = witmotion.parse_notification(data)
        except BleError:
            return
        for p in packets:
            if isinstance(p, witmotion.WitRegisters) and p.start == witmotion.REG_BATTERY_V \
                    and not fut.done():
                fut.set_result(witmotion.battery_percent(p.values[0]))

    await client.start_notify(witmotion.WIT_NOTIFY_UUID, on_notify)
    await client.write_gatt_char(witmotion.WIT_WRITE_UUID,
                                 witmotion.read_command(witmotion.REG_BATTERY_V), response=False)
    return await asyncio.wait_for(fut, BATTERY_READ_TIMEOUT_S)


async def read_battery(connector: Connector, adv: Advert, kind: WearableKind) -> int | None:
    try:
        client = await connector.connect(adv.address, adv.name, lambda _c: None)
    except LINK_ERRORS as exc:
        log.info("battery of %s unknown: %s", adv.name or adv.address, exc)
        return None
    try:
        if kind == WearableKind.REHAB_IMU:
            return gatt.parse_battery_level(await client.read_gatt_char(gatt.BATTERY_LEVEL_UUID))
        return await _witmotion_battery(client)
    except LINK_ERRORS as exc:
        log.info("battery of %s unknown: %s", adv.name or adv.address, exc)
        return None
    finally:
        try:
            await client.disconnect()
        except LINK_ERRORS:
            pass


async def discover(scanner: Scanner, timeout_s: float = 5.0,
                   connector: Connector | None = None) -> list[Found]:
    """Our wearables in range, strongest signal first, with battery when ``connector``."""
    seen = [(a, k) for a in await scanner.scan(timeout_s) if (k := classify(a)) is not None]
    seen.sort(key=lambda ak: -ak[0].rssi)
    out = []
    for adv, kind in seen:
        battery = await read_battery(connector, adv, kind) if connector is not None else None
        out.append(Found(adv, kind, battery))
    return out


def remember(registry: Registry, found: Found, segment: BodySegment) -> Wearable:
    w = found.wearable(segment)
    registry.remember(w, found.battery_pct)
    return w
