"""``SimSource``: a simulated chunk behind the SampleSource port (optionally in real time)."""

from __future__ import annotations

import asyncio

from sensors.sim.config import SimConfig
from sensors.sim.simulate import SimResult, simulate
from sensors.types import ImuChunk, SourceInfo


class SimSource:
    """Streams ``chunk`` in pieces of ``chunk_size`` samples.

    With ``realtime=True`` each piece is delivered when its last sample "happens"
    (stream time / ``speed`` after the first piece), as a wearable would; otherwise as fast
    as the consumer reads (still yielding to the event loop between pieces). Iterating again
    continues where the last iteration stopped; :meth:`aclose` ends the stream.
    """

    def __init__(
        self,
        chunk: ImuChunk,
        info: SourceInfo,
        chunk_size: int = 10,
        realtime: bool = False,
        speed: float = 1.0,
        result: SimResult | None = None,
    ) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        if speed <= 0.0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self.info = info
        self.result = result  # the whole simulation (truth included), when known
        self._chunk = chunk
        self._size = chunk_size
        self._realtime = realtime
        self._speed = speed
        self._pos = 0
        self._closed = False
        self._wall0: float | None = None

    def __aiter__(self) -> SimSource:
        return self

    async def __anext__(self) -> ImuChunk:
        if self._closed or self._pos >= len(self._chunk):
            raise StopAsyncIteration
        piece = self._chunk.slice(self._pos, self._pos + self._size)
        self._pos += len(piece)
        loop = asyncio.get_running_loop()
        if self._realtime:
            if self._wall0 is None:
                self._wall0 = loop.time()
            due = self._wall0 + (piece.t_s[-1] - self._chunk.t_s[0]) / self._speed
            await asyncio.sleep(max(0.0, due - loop.time()))
        else:
            await asyncio.sleep(0)
        return piece

    async def aclose(self) -> None:
        self._closed = True


def sim_sources(
    cfg: SimConfig, realtime: bool = True, chunk_size: int = 10, speed: float = 1.0
) -> tuple[SimSource, SimSource | None]:
    """Simulate ``cfg`` and return (distal source, proximal source or None) for the kiosk/demo.

    Each source carries the whole :class:`SimResult` (truth included) in ``.result``.
    """
    res = simulate(cfg)
    distal = SimSource(res.distal, res.info, chunk_size, realtime, speed, res)
    proximal = None
    if res.proximal is not None and res.proximal_info is not None:
        proximal = SimSource(res.proximal, res.proximal_info, chunk_size, realtime, speed, res)
    return distal, proximal
