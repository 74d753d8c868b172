"""Stream a Recording as a SampleSource, as fast as possible or in (scaled) real time."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from sensors.replay.recording import Recording
from sensors.types import BodySegment, ImuChunk, SourceInfo


class ReplaySource:
    """A :class:`~sensors.source.SampleSource` over a recording, chunk by chunk.

    With ``realtime`` a chunk is delivered when the wall clock reaches the time of its last
    sample (divided by ``speed``) after the first; otherwise as fast as the consumer reads.
    ``clock`` and ``sleep`` are injectable so tests can run real time without waiting.
    """

    def __init__(
        self,
        recording: Recording,
        chunk_size: int = 32,
        realtime: bool = False,
        speed: float = 1.0,
        *,
        segment: BodySegment = BodySegment.UNKNOWN,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        if not speed > 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self.recording = recording
        self.chunk_size = chunk_size
        self.realtime = realtime
        self.speed = speed
        self.info = SourceInfo(
            recording.sensor_id, segment, recording.rate_hz, label=str(recording.path)
        )
        self._clock = clock
        if sleep is None:
            import asyncio  # here, not at the top: `rehab replay` never needs it (16 ms)

            sleep = asyncio.sleep
        self._sleep = sleep
        self._pos = 0
        self._wall0: float | None = None
        self._closed = False

    def __aiter__(self) -> ReplaySource:
        return self

    async def __anext__(self) -> ImuChunk:
        chunk = self.recording.chunk
        if self._closed or self._pos >= len(chunk):
            raise StopAsyncIteration
        start, stop = self._pos, min(self._pos + self.chunk_size, len(chunk))
        self._pos = stop
        if self.realtime:
            now = self._clock()
            if self._wall0 is None:
                self._wall0 = now
            due = self._wall0 + float(chunk.t_s[stop - 1] - chunk.t_s[0]) / self.speed
            if due > now:
                await self._sleep(due - now)
        return chunk.slice(start, stop)

    async def aclose(self) -> None:
        self._closed = True
