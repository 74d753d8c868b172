"""Values and ports of the BLE side: what was found, what is paired, how to scan."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from sensors.ble import gatt, witmotion
from sensors.types import BodySegment


class WearableKind(StrEnum):
    """Which protocol a wearable speaks. Values are stored, so they never change."""

    REHAB_IMU = "rehab_imu"  # our firmware, hw/protocol/PROTOCOL.md section 5
    WITMOTION = "witmotion"  # WitMotion WT901BLE family


@dataclass(frozen=True, slots=True)
class Advert:
    """One advertiser seen by a scan. ``handle`` is the backend's device (BlueZ: BLEDevice)."""

    address: str
    name: str
    rssi: int
    service_uuids: tuple[str, ...] = ()
    handle: Any = None


@dataclass(frozen=True, slots=True)
class Wearable:
    """A paired wearable: where it sits and how to talk to it."""

    address: str
    name: str
    kind: WearableKind
    segment: BodySegment

    @property
    def sensor_id(self) -> str:
        return f"ble:{self.address}"


def classify(adv: Advert) -> WearableKind | None:
    """Our service UUID, or a WitMotion name/service; None for anything else (pure)."""
    uuids = {u.lower() for u in adv.service_uuids}
    if gatt.IMU_SERVICE_UUID in uuids or adv.name.startswith(gatt.NAME_PREFIX):
        return WearableKind.REHAB_IMU
    if witmotion.WIT_SERVICE_UUID in uuids or adv.name.startswith(witmotion.WIT_NAME_PREFIXES):
        return WearableKind.WITMOTION
    return None


class Scanner(Protocol):
    """Finds advertisers for ``timeout_s`` (BlueZ on the Pi, bumble in tests)."""

    async def scan(self, timeout_s: float) -> list[Advert]: ...
