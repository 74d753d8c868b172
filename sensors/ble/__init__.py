"""BLE IMU wearables: our GATT profile, the WitMotion WT901BLE, connections that survive drops.

Pure (no bleak): :mod:`.gatt` (our profile, reusing :mod:`firmware_bridge.messages`),
:mod:`.witmotion`, :mod:`.tracking`, :mod:`.supervision`, :mod:`.ports`, :mod:`.events`.
Adapters: :mod:`.connector` (bleak + bleak-retry-connector), :mod:`.drivers`,
:mod:`.link`, :mod:`.source`, :mod:`.live`, :mod:`.bluez` (scanner), :mod:`.pairing`.
Virtual wearables for tests and the bench: :mod:`.virtual` (bumble).
"""

from sensors.ble.errors import BleError, BlePayloadError, WearableGone
from sensors.ble.ports import Advert, Wearable, WearableKind, classify

__all__ = ["Advert", "BleError", "BlePayloadError", "Wearable", "WearableGone",
           "WearableKind", "classify"]
