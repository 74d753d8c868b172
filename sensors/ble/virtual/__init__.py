"""Virtual BLE wearables for tests, the bench and demos: bumble peripherals on an
in-process link, and a bleak backend over bumble so the unmodified bleak client code of
:mod:`sensors.ble` talks to them through real ATT/GATT (discovery, CCCD writes, MTU
exchange, notifications, write-with-response, disconnects).

Imports bumble (the ``test`` extra); nothing in the kiosk's runtime path imports this, and
the wheel leaves it out (pyproject's package list). The rehab wearable serves
:class:`protocol.device.DeviceModel`, as the serial emulator does.
"""

from sensors.ble.virtual.air import VirtualAir
from sensors.ble.virtual.backend import BumbleBleakBackend
from sensors.ble.virtual.peripherals import VirtualRehabImu, VirtualWitMotion
from sensors.ble.virtual.scanner import BumbleScanner

__all__ = ["BumbleBleakBackend", "BumbleScanner", "VirtualAir", "VirtualRehabImu",
           "VirtualWitMotion"]
