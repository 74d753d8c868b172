"""A bleak client backend over a bumble central on a :class:`VirtualAir`.

``BleakClient(address, backend=BumbleBleakBackend, bumble_air=air)`` — bleak forwards the
extra keyword to the backend (bleak-retry-connector's ``establish_connection`` forwards it
to ``BleakClient``). Everything above this class is bleak's own code.
"""

from __future__ import annotations

import logging
from typing import Any

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError
from bleak.uuids import normalize_uuid_str
from bumble.core import BaseBumbleError
from bumble.device import Connection, Peer
from bumble.gatt import Characteristic
from bumble.hci import Address

from sensors.ble.gatt import REQUEST_MTU
from sensors.ble.virtual.air import VirtualAir

log = logging.getLogger(__name__)

_PROPS = [(Characteristic.Properties.BROADCAST, "broadcast"),
          (Characteristic.Properties.READ, "read"),
          (Characteristic.Properties.WRITE_WITHOUT_RESPONSE, "write-without-response"),
          (Characteristic.Properties.WRITE, "write"),
          (Characteristic.Properties.NOTIFY, "notify"),
          (Characteristic.Properties.INDICATE, "indicate")]
CONNECT_TIMEOUT_S = 1.0  # real seconds: a virtual wearable that is away answers nothing


def _uuid(u: Any) -> str:
    return normalize_uuid_str(u.to_hex_str("-"))


class BumbleBleakBackend(BaseBleakClient):
    def __init__(self, address_or_ble_device: BLEDevice | str, *, bumble_air: VirtualAir,
                 bumble_connect_timeout_s: float = CONNECT_TIMEOUT_S, **kwargs: Any) -> None:
        super().__init__(address_or_ble_device, **kwargs)
        self._air = bumble_air
        self._connect_timeout_s = bumble_connect_timeout_s
        self._conn: Connection | None = None
        self._peer: Peer | None = None
        self._subscribers: dict[int, Any] = {}

    @property
    def name(self) -> str:
        return self.address

    @property
    def mtu_size(self) -> int:
        return self._peer.gatt_client.mtu if self._peer is not None else 23

    @property
    def is_connected(self) -> bool:
        return self._conn is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        await self._air.start()
        try:
            async with self._air.connect_lock:
                conn = await self._air.central.connect(Address(self.address),
                                                       timeout=self._connect_timeout_s)
        except (TimeoutError, BaseBumbleError) as exc:
            raise BleakError(f"device {self.address} not found: {exc!r}") from exc
        self._conn = conn
        conn.on(conn.EVENT_DISCONNECTION, self._on_disconnection)
        try:
            peer = Peer(conn)
            self._peer = peer
            await peer.request_mtu(REQUEST_MTU)
            await peer.discover_services()
            services = BleakGATTServiceCollection()
            for s in peer.services:
                await s.discover_characteristics()
                bs = BleakGATTService(s, s.handle, _uuid(s.uuid))
                services.add_service(bs)
                for c in s.characteristics:
                    await c.discover_descriptors()
                    props = [name for flag, name in _PROPS if c.properties & flag]
                    bc = BleakGATTCharacteristic(c, c.handle, _uuid(c.uuid), props,  # type: ignore[arg-type]
                                                 lambda: self.mtu_size - 3, bs)
                    services.add_characteristic(bc)
                    for d in c.descriptors:
                        services.add_descriptor(BleakGATTDescriptor(d, d.handle, _uuid(d.type),
                                                                    bc))
            self.services = services
        except (TimeoutError, BaseBumbleError) as exc:
            await self.disconnect()
            raise BleakError(f"GATT discovery on {self.address} failed: {exc!r}") from exc

    def _on_disconnection(self, reason: int) -> None:
        was = self._conn is not None
        self._conn, self._peer = None, None
        if was and self._disconnected_callback is not None:
            self._disconnected_callback()

    async def disconnect(self) -> None:
        conn, self._conn, self._peer = self._conn, None, None
        if conn is not None:
            try:
                await conn.disconnect()
            except (TimeoutError, BaseBumbleError) as exc:
                log.debug("disconnect %s: %r", self.address, exc)

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("the virtual wearables need no pairing")

    async def unpair(self) -> None:
        raise NotImplementedError("the virtual wearables need no pairing")

    def _need_peer(self) -> Peer:
        if self._peer is None:
            raise BleakError(f"not connected to {self.address}")
        return self._peer

    async def read_gatt_char(self, characteristic: BleakGATTCharacteristic,
                             **kwargs: Any) -> bytearray:
        try:
            return bytearray(await self._need_peer().read_value(characteristic.obj))
        except BaseBumbleError as exc:
            raise BleakError(str(exc)) from exc

    async def read_gatt_descriptor(self, descriptor: BleakGATTDescriptor,
                                   **kwargs: Any) -> bytearray:
        return bytearray(await self._need_peer().read_value(descriptor.obj))

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data: Any,
                              response: bool) -> None:
        try:
            await self._need_peer().write_value(characteristic.obj, bytes(data),
                                                with_response=response)
        except BaseBumbleError as exc:
            raise BleakError(str(exc)) from exc

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        await self._need_peer().write_value(descriptor.obj, bytes(data), with_response=True)

    async def start_notify(self, characteristic: BleakGATTCharacteristic,
                           callback: NotifyCallback, **kwargs: Any) -> None:
        def on_value(value: bytes) -> None:
            callback(bytearray(value))

        self._subscribers[characteristic.handle] = on_value
        await self._need_peer().subscribe(characteristic.obj, on_value)

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        sub = self._subscribers.pop(characteristic.handle, None)
        await self._need_peer().unsubscribe(characteristic.obj, sub)
