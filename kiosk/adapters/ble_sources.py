"""Paired BLE wearables (``rehab pair``, ``therapy.devices.WearableRegistry``) as the set's
sources, opened through ``therapy.sources.open_sources(ble)``: one supervised link per body
placement the exercise needs; the set pauses while one is away, resumes, keeps the gaps,
and ends when one stays away (:class:`~kiosk.adapters.sources.OpenSet`). The status the
live screen shows is read from the links (connected, battery) on every frame."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from kiosk.adapters.sources import OpenSet, SourceMissing, SpecSourceFactory
from therapy.plan import PlanExercise
from therapy.store import TherapyStore


class MissingWearable(SourceMissing):
    """The exercise needs a body placement no paired wearable sits on."""


def paired_rows(store: TherapyStore) -> list[tuple[str, str, str, str]]:
    """(address, name, kind, segment) of the remembered wearables."""
    from therapy.devices import WearableRegistry

    return [(r[0], r[1], r[2], r[3]) for r in WearableRegistry(store).all()]


class BleSourceFactory(SpecSourceFactory):
    """``wearables`` the paired rows (placement check before opening), ``store`` the
    device store the links are opened from (``therapy.sources``); ``connector_factory``,
    ``clock`` and ``policy`` as :class:`~therapy.sources.SourceOptions` takes them."""

    def __init__(self, wearables: Sequence[tuple[str, str, str, str]], store: Any, *,
                 connector_factory: Callable[[], Any] | None = None, clock: Any = None,
                 policy: Any = None, options: Any = None) -> None:
        from therapy.sources import SourceKind, SourceOptions, SourceSpec

        opts = options or SourceOptions()
        if clock is not None:
            opts = dataclasses.replace(opts, clock=clock)
        if connector_factory is not None:
            opts = dataclasses.replace(opts, ble_connector=connector_factory)
        if policy is not None:
            opts = dataclasses.replace(opts, ble_policy=policy)
        super().__init__(SourceSpec(SourceKind.BLE), store, opts)
        self.wearables = {seg: (addr, name, kind) for addr, name, kind, seg in wearables}

    def open(self, ex: PlanExercise, set_no: int, spec: Any = None) -> OpenSet:
        from therapy.sources import segments_for

        for segment in segments_for(ex, self.options.two_imu):
            if segment is not None and segment not in self.wearables:
                raise MissingWearable(f"no wearable is placed on the {segment}: pair one in "
                                      "Settings (or run `rehab pair`)")
        return super().open(ex, set_no, spec)
