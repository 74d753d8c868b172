"""The serial bridge as a :class:`~sensors.source.SampleSource` (same port as sim and BLE).

A :class:`~.session.BridgeSession` runs in its own thread and hands each chunk to the
event loop with ``call_soon_threadsafe``; the thread boundary is the one place that
catches everything, so a bug surfaces as a :class:`BridgeError` from ``__anext__``
instead of a silent dead thread. With a :class:`~.source_link.BridgeLink` the session's
up/down reports become link events a set supervisor acts on (and stopping the link ends
the stream).
"""

from __future__ import annotations

import asyncio
import logging
import threading

from firmware_bridge.errors import BridgeError
from firmware_bridge.session import BridgeSession
from firmware_bridge.source_link import BridgeLink
from sensors.types import ImuChunk, SourceInfo

log = logging.getLogger(__name__)

_END = object()


class BridgeSource:
    def __init__(self, session: BridgeSession, info: SourceInfo,
                 link: BridgeLink | None = None) -> None:
        self.session = session
        self.info = info
        self.link = link
        self._stop = threading.Event()
        self._queue: asyncio.Queue[object] | None = None
        self._thread: threading.Thread | None = None

    def __aiter__(self) -> BridgeSource:
        if self._thread is None:
            loop = asyncio.get_running_loop()
            queue: asyncio.Queue[object] = asyncio.Queue()
            self._queue = queue

            def put(item: object) -> None:
                loop.call_soon_threadsafe(queue.put_nowait, item)

            if self.link is not None:
                self.link.bind(loop, self._stop.set)
                self.session.on_link = self.link.from_thread

            def work() -> None:
                try:
                    self.session.run(put, self._stop)
                except Exception as exc:  # supervised boundary: hand the failure over
                    log.exception("bridge session on %s failed", self.session.port)
                    put(exc)
                finally:
                    put(_END)

            self._thread = threading.Thread(target=work, name=f"bridge:{self.session.port}",
                                            daemon=True)
            self._thread.start()
        return self

    async def __anext__(self) -> ImuChunk:
        if self._queue is None:
            raise StopAsyncIteration
        item = await self._queue.get()
        if item is _END:
            self._queue = None
            raise StopAsyncIteration
        if isinstance(item, BaseException):
            raise BridgeError(f"serial bridge on {self.session.port} stopped: {item}") from item
        assert isinstance(item, ImuChunk)
        return item

    async def aclose(self) -> None:
        self._stop.set()
        if self._thread is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._thread.join, 5.0)
