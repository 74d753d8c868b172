"""The scanner port on the Pi: bleak's BlueZ backend (user in group ``bluetooth``, no root).

Passive filtering would need BlueZ's AdvertisementMonitor (experimental on Bookworm), so
this scans actively and filters with :func:`sensors.ble.ports.classify`. See hw/ble/.
"""

from __future__ import annotations

from bleak import BleakScanner
from bleak.exc import BleakError

from sensors.ble.errors import BleError
from sensors.ble.ports import Advert


class BlueZScanner:
    def __init__(self, adapter: str | None = None) -> None:
        self.adapter = adapter

    async def scan(self, timeout_s: float) -> list[Advert]:
        kw = {"adapter": self.adapter} if self.adapter else {}
        try:
            found = await BleakScanner.discover(timeout=timeout_s, return_adv=True,
                                                **kw)  # type: ignore[call-overload]
        except (BleakError, OSError) as exc:
            raise BleError(f"cannot scan: {exc}; is bluetoothd running and the user in "
                           "group 'bluetooth'? (hw/ble/README.md)") from exc
        return [Advert(dev.address, adv.local_name or dev.name or "", adv.rssi,
                       tuple(u.lower() for u in adv.service_uuids), dev)
                for dev, adv in found.values()]
