"""The air between virtual wearables and the kiosk: one bumble ``LocalLink``.

Every device gets its own bumble ``Controller`` on the link (as a real radio would); the
kiosk side is one central ``Device`` that the bleak backend and the scanner share.
"""

from __future__ import annotations

import asyncio

from bumble import hci
from bumble.controller import Controller
from bumble.device import Device
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

CENTRAL_ADDRESS = "C0:00:00:00:00:01"


class CancellingController(Controller):
    """A bumble ``Controller`` whose LE Create Connection Cancel does what the spec says.

    bumble 0.0.236's controller answers the cancel with success but keeps the connection
    pending and never reports its end, so after ``Device.connect(timeout=...)`` times out
    on a wearable that is away, the connect waits for ever (and every later connect is
    refused with COMMAND_DISALLOWED) until that wearable advertises again: a wearable
    gone for good then never ended its link. Here the cancel drops the pending
    connection and reports it as an LE Connection Complete with status Unknown
    Connection Identifier (Core spec Vol 4, Part E, 7.8.13), which bumble's host turns
    into the connect's timeout.
    """

    def on_hci_le_create_connection_cancel_command(
        self, command: hci.HCI_LE_Create_Connection_Cancel_Command
    ) -> hci.HCI_StatusReturnParameters:
        pending = self.pending_le_connection
        if pending is None:
            return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.COMMAND_DISALLOWED_ERROR)
        self.pending_le_connection = None
        failed = hci.HCI_LE_Connection_Complete_Event(
            status=hci.HCI_ErrorCode.UNKNOWN_CONNECTION_IDENTIFIER_ERROR,
            connection_handle=0, role=hci.Role.CENTRAL,
            peer_address_type=pending.peer_address.address_type,
            peer_address=pending.peer_address, connection_interval=0,
            peripheral_latency=0, supervision_timeout=0, central_clock_accuracy=0)
        # after the Command Complete this handler's return value becomes
        asyncio.get_running_loop().call_soon(self.send_hci_packet, failed)
        return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.SUCCESS)


class VirtualAir:
    def __init__(self) -> None:
        self.link = LocalLink()
        self.central = self.new_device("kiosk", CENTRAL_ADDRESS)
        self._powered = False
        # One LE connection may be pending at a time per controller (HCI rule; BlueZ
        # answers "Operation already in progress"): the backend takes this lock.
        self.connect_lock = asyncio.Lock()

    def new_device(self, name: str, address: str) -> Device:
        controller = CancellingController(name, link=self.link, public_address=address)
        return Device(name=name, address=Address(address),
                      host=Host(controller, AsyncPipeSink(controller)))

    async def start(self) -> None:
        if not self._powered:
            await self.central.power_on()
            self._powered = True
