"""A wearable link as a :class:`~sensors.source.SampleSource` (same port as sim and serial).

Iterating starts the link's task on first use; chunks come in order; while the wearable
is away the iterator simply waits (the session controller pauses, see
:mod:`sensors.live_set`). The stream ends when the link ends (stopped, or GONE).
"""

from __future__ import annotations

import asyncio
import logging

from sensors.ble.link import WearableLink
from sensors.types import ImuChunk, SourceInfo

log = logging.getLogger(__name__)


class BleSource:
    def __init__(self, link: WearableLink, rate_hz: float = 100.0) -> None:
        self.link = link
        w = link.wearable
        self.info = SourceInfo(w.sensor_id, w.segment, rate_hz, w.name)
        self._task: asyncio.Task[None] | None = None
        self._done = False

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self.link.run())

    def __aiter__(self) -> BleSource:
        self.start()
        return self

    async def __anext__(self) -> ImuChunk:
        if self._done:
            raise StopAsyncIteration
        item = await self.link.queue.get()
        if item is None:
            self._done = True
            raise StopAsyncIteration
        return item

    async def aclose(self) -> None:
        self.link.stop()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, 5.0)
            except TimeoutError:
                log.warning("link %s did not stop within 5 s", self.info.sensor_id)
                self._task.cancel()
