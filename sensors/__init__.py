"""Sensor sample types, the source interface and its backends (sim, replay, ble, camera)."""

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
