"""The sample-source port: one interface, many backends (sim, replay, BLE, serial, camera).

A source is an async iterator of :class:`~sensors.types.ImuChunk` plus an ``info``
attribute. Consumers never ask which backend they hold; every implementation runs the
same contract suite (``tests/sensors/source_contract.py``), which checks this:

- **info**: :class:`~sensors.types.SourceInfo` is there before the first chunk: a
  non-empty ``sensor_id``, a :class:`~sensors.types.BodySegment`, ``rate_hz`` > 0.
- **start**: iterating starts the source (``async for``); building it starts nothing that
  needs closing, except a device link a caller has opened itself.
- **chunks**: each chunk holds one or more samples, times on the host clock in seconds,
  strictly increasing within a chunk and from one chunk to the next, spaced about
  ``1 / info.rate_hz`` (minus dropped samples).
- **units**: specific force in m/s² (a sensor at rest reads about 9.81, not 1 g), angular
  rate in rad/s, as the names say. (The camera's angle source keeps the same contract
  with :class:`~sensors.camera.stream.AngleChunk` samples in degrees, NaN where the joint
  was not seen.)
- **end of stream**: a finite source (a file, a simulation, a video) ends by itself
  (``StopAsyncIteration``) after its last sample and stays ended; a live source (a
  wearable, the serial bridge) runs until it is closed, or ends when its device is gone
  for good.
- **stop**: :meth:`SampleSource.aclose` ends the stream: afterwards iteration ends
  (chunks already received may still come first); it may be called before iterating,
  and again, without error.
- **errors**: a source that cannot go on ends or raises a :class:`SensorError` subclass
  saying what to do; it never leaks another exception type to the consumer.
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
