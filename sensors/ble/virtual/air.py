"""The air between virtual wearables and the kiosk: one bumble ``LocalLink``.

Every device gets its own bumble ``Controller`` on the link (as a real radio would); the
kiosk side is one central ``Device`` that the bleak backend and the scanner share.
"""

from __future__ import annotations

import asyncio

from bumble.controller import Controller
from bumble.device import Device
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

CENTRAL_ADDRESS = "C0:00:00:00:00:01"


class VirtualAir:
    def __init__(self) -> None:
        self.link = LocalLink()
        self.central = self.new_device("kiosk", CENTRAL_ADDRESS)
        self._powered = False
        # One LE connection may be pending at a time per controller (HCI rule; BlueZ
        # answers "Operation already in progress"): the backend takes this lock.
        self.connect_lock = asyncio.Lock()

    def new_device(self, name: str, address: str) -> Device:
        controller = Controller(name, link=self.link, public_address=address)
        return Device(name=name, address=Address(address),
                      host=Host(controller, AsyncPipeSink(controller)))

    async def start(self) -> None:
        if not self._powered:
            await self.central.power_on()
            self._powered = True
