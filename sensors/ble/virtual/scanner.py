"""The scanner port over the virtual air's central (what BlueZ does on the Pi)."""

from __future__ import annotations

import asyncio

from bleak.uuids import normalize_uuid_str
from bumble.core import AdvertisingData
from bumble.device import Advertisement

from sensors.ble.ports import Advert
from sensors.ble.virtual.air import VirtualAir


class BumbleScanner:
    def __init__(self, air: VirtualAir) -> None:
        self.air = air

    async def scan(self, timeout_s: float) -> list[Advert]:
        await self.air.start()
        found: dict[str, Advert] = {}
        central = self.air.central

        def on_adv(adv: Advertisement) -> None:
            data = adv.data
            name = data.get(AdvertisingData.COMPLETE_LOCAL_NAME) or ""
            uuids: list[str] = []
            for t in (AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
                      AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS):
                for u in data.get(t) or []:
                    uuids.append(normalize_uuid_str(u.to_hex_str("-")))
            addr = str(adv.address).split("/")[0]
            found[addr] = Advert(addr, name if isinstance(name, str) else name.decode(),
                                 int(adv.rssi), tuple(uuids))

        central.on(central.EVENT_ADVERTISEMENT, on_adv)
        try:
            await central.start_scanning(filter_duplicates=False)
            await asyncio.sleep(timeout_s)
        finally:
            await central.stop_scanning()
            central.remove_listener(central.EVENT_ADVERTISEMENT, on_adv)
        return list(found.values())
