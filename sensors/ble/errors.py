"""The BLE wearables' exceptions: one root, subclasses carrying what a caller needs."""

from __future__ import annotations

from sensors.source import SensorError


class BleError(SensorError):
    """Root of every BLE wearable error (bad notification, wearable gone, no adapter)."""


class BlePayloadError(BleError):
    """A notification whose bytes do not fit its characteristic's layout (counted, skipped)."""

    def __init__(self, what: str, length: int, reason: str) -> None:
        super().__init__(f"{what}, {length} bytes: {reason}")
        self.what = what
        self.length = length


class RequestCancelled(BleError):
    """The BLE stack cancelled a request pending on a connection it tore down (a wearable
    walking away mid-write): a lost link, not a cancellation of the task that waited."""
