"""Paired BLE wearables (``rehab pair``, ``therapy.devices.WearableRegistry``) as the set's
sources: one ``sensors.ble`` link per body placement the exercise needs. The status the
live screen shows is read from the links (connected, battery) on every frame."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from kiosk.errors import KioskError
from kiosk.vm.live import SensorStatus
from sensors.source import SampleSource
from therapy.plan import PlanExercise
from therapy.store import TherapyStore


class MissingWearable(KioskError):
    """The exercise needs a body placement no paired wearable sits on."""


def paired_rows(store: TherapyStore) -> list[tuple[str, str, str, str]]:
    """(address, name, kind, segment) of the remembered wearables."""
    from therapy.devices import WearableRegistry

    return [(r[0], r[1], r[2], r[3]) for r in WearableRegistry(store).all()]


class BleSourceFactory:
    demo = False

    def __init__(self, wearables: Sequence[tuple[str, str, str, str]], *,
                 connector_factory: Callable[[], Any] | None = None, clock: Any = None,
                 rate_hz: float = 100.0) -> None:
        self.wearables = {seg: (addr, name, kind) for addr, name, kind, seg in wearables}
        self.connector_factory = connector_factory
        self.clock = clock
        self.rate_hz = rate_hz

    def _source(self, segment: str) -> Any:
        from protocol.clock import MonotonicClock
        from sensors.ble.connector import BleakConnector
        from sensors.ble.drivers import RehabImuDriver, WitMotionDriver
        from sensors.ble.link import WearableLink
        from sensors.ble.ports import Wearable, WearableKind
        from sensors.ble.source import BleSource
        from sensors.types import BodySegment

        if segment not in self.wearables:
            raise MissingWearable(f"no wearable is placed on the {segment}: pair one in "
                                  "Settings (or run `rehab pair`)")
        addr, name, kind = self.wearables[segment]
        clock = self.clock or MonotonicClock()
        driver: Any = (RehabImuDriver(clock) if kind == WearableKind.REHAB_IMU
                       else WitMotionDriver(clock, self.rate_hz))
        connector = self.connector_factory() if self.connector_factory else BleakConnector()
        w = Wearable(addr, name, WearableKind(kind), BodySegment(segment))
        return BleSource(WearableLink(w, driver, connector, clock=clock), self.rate_hz)

    def open(self, ex: PlanExercise, set_no: int) -> tuple[
            SampleSource, SampleSource | None, Callable[[], tuple[SensorStatus, ...]]]:
        cat = ex.exercise
        segments = [str(s) for s in ex.sensors]
        distal_seg = str(cat.distal) if str(cat.distal) in segments else segments[-1]
        distal = self._source(distal_seg)
        proximal = None
        if ex.two_imu:
            others = [s for s in segments if s != distal_seg]
            proximal = self._source(others[0] if others else str(cat.proximal))
        sources = [s for s in (distal, proximal) if s is not None]

        def status() -> tuple[SensorStatus, ...]:
            return tuple(SensorStatus(f"{s.link.wearable.name} ({s.link.wearable.segment})",
                                      s.link.connected, s.link.battery_pct,
                                      segment=str(s.link.wearable.segment)) for s in sources)

        return distal, proximal, status
