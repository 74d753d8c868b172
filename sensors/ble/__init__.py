"""BLE IMU wearables: our GATT profile, the WitMotion WT901BLE, connections that survive drops.

A thin transport of the wire protocol (:mod:`protocol`: messages, sequence tracking, clock
mapping and the host state machine live there). Pure (no bleak): :mod:`.gatt` (our
profile: the protocol's messages as GATT values), :mod:`.witmotion`, :mod:`.ports`.
Adapters: :mod:`.connector` (bleak + bleak-retry-connector), :mod:`.drivers`,
:mod:`.link`, :mod:`.source`, :mod:`.bluez` (scanner), :mod:`.pairing`.
Transport-neutral parts that the USB bridge uses too live one level up:
:mod:`sensors.link_events`, :mod:`sensors.set_supervision`, :mod:`sensors.live_set`.
Virtual wearables for tests and the bench: :mod:`.virtual` (bumble; not in the wheel).
"""

from sensors.ble.errors import BleError, BlePayloadError
from sensors.ble.ports import Advert, Wearable, WearableKind, classify

__all__ = ["Advert", "BleError", "BlePayloadError", "Wearable", "WearableKind", "classify"]
