"""Sensor sample types, the source interface and its backends (sim, replay, ble, camera), and
what any wearable link reports (link_events) and how a live set rides out drop-outs
(set_supervision, live_set), for BLE and the USB bridge alike."""

from sensors.source import SampleSource, SensorError
from sensors.types import (
    STANDARD_GRAVITY_M_S2,
    BodySegment,
    ImuChunk,
    ImuSample,
    SourceInfo,
)

__all__ = [
    "STANDARD_GRAVITY_M_S2",
    "BodySegment",
    "ImuChunk",
    "ImuSample",
    "SampleSource",
    "SensorError",
    "SourceInfo",
]
