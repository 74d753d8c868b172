"""Connections through bleak-retry-connector, with the bleak backend injectable.

On the Pi the backend is bleak's BlueZ one and the device comes from a scan (BlueZ needs
its D-Bus path); tests pass ``backend=BumbleBleakBackend, bumble_air=air`` and a resolver
that makes a plain ``BLEDevice``. Everything between (retries, bleak's client) is the same.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bleak import BleakClient, BleakScanner
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak_retry_connector import establish_connection

from sensors.ble.errors import BleError

Resolver = Callable[[str, str], Awaitable[BLEDevice]]
FIND_TIMEOUT_S = 5.0


class Connector(Protocol):
    async def connect(self, address: str, name: str,
                      disconnected: Callable[[BleakClient], None]) -> BleakClient: ...


async def bluez_resolve(address: str, name: str) -> BLEDevice:
    """The BlueZ device for ``address`` (it must be advertising)."""
    dev = await BleakScanner.find_device_by_address(address, timeout=FIND_TIMEOUT_S)
    if dev is None:
        raise BleError(f"{name or address} is not advertising: is it switched on and charged?")
    return dev


async def plain_resolve(address: str, name: str) -> BLEDevice:
    """A BLEDevice with no backend details (custom backends that need no scan)."""
    return BLEDevice(address, name, None)


class BleakConnector:
    def __init__(self, *, backend: type[BaseBleakClient] | None = None,
                 resolve: Resolver = bluez_resolve, max_attempts: int = 2,
                 **client_kwargs: Any) -> None:
        self.backend = backend
        self.resolve = resolve
        self.max_attempts = max_attempts
        self.client_kwargs = client_kwargs

    async def connect(self, address: str, name: str,
                      disconnected: Callable[[BleakClient], None]) -> BleakClient:
        device = await self.resolve(address, name)
        kw = dict(self.client_kwargs)
        if self.backend is not None:
            kw["backend"] = self.backend
        return await establish_connection(BleakClient, device, name or address,
                                          disconnected_callback=disconnected,
                                          max_attempts=self.max_attempts, **kw)
