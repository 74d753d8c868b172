"""The sample-source port: one interface, many backends (sim, replay, BLE, serial, camera).

A source is an async iterator of :class:`~sensors.types.ImuChunk` plus a ``info``
attribute. Consumers never ask which backend they hold; tests run the same contract suite
on every implementation (``tests/sensors/test_source_contract.py``).
"""

from __future__ import annotations

from typing import AsyncIterator, Protocol, runtime_checkable

from sensors.types import ImuChunk, SourceInfo


class SensorError(Exception):
    """Root of every sensor-side error (a file that cannot be read, a wearable gone)."""


@runtime_checkable
class SampleSource(Protocol):
    """An IMU stream on the host clock, delivered in chunks of one or more samples."""

    info: SourceInfo

    def __aiter__(self) -> AsyncIterator[ImuChunk]: ...

    async def aclose(self) -> None: ...
