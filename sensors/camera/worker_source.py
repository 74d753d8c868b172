"""A running pose worker as the set's camera source: the kiosk's way to read the camera.

The kiosk reads its one camera through ``kiosk.adapters.camera.SharedCamera`` (a video visit
may be reading it too), and its pose worker (:class:`~sensors.camera.worker.CameraWorker`:
grab and inference threads, stale frames dropped) is what the camera set-up shows. This
source takes such a started worker: every result it produces becomes an angle sample
(:class:`~sensors.camera.stream.CameraAngleStream`), handed from the worker's thread to the
event loop with ``call_soon_threadsafe``, and :meth:`latest` is the newest picture and
skeleton for the live screen. Same :class:`~sensors.source.SampleSource` contract as
:class:`~sensors.camera.source.CameraSource` (which opens its own capture and model:
``rehab session --source camera``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sensors.camera.errors import CameraError
from sensors.camera.stream import AngleChunk, CameraAngleStream
from sensors.types import BodySegment, SourceInfo

_LOG = logging.getLogger(__name__)
_END = object()
STOP_TIMEOUT_S = 5.0  # joining the worker's threads when the set ends


class WorkerAngleSource:
    """Angles from a started ``CameraWorker`` (anything with ``on_result``, ``latest()``,
    ``stop()``, ``error_`` and a ``source.fps``); owns it: :meth:`aclose` stops it (in an
    executor: it joins threads). Counters: ``frames_`` results turned into samples."""

    def __init__(self, worker: Any, stream: CameraAngleStream, *,
                 sensor_id: str | None = None) -> None:
        joint = stream.joint.value
        fps = float(getattr(worker.source, "fps", 0.0) or 30.0)
        self.info = SourceInfo(sensor_id or f"camera:{joint}", BodySegment.UNKNOWN, fps,
                               f"camera, {joint}")
        self.stream = stream
        self.worker = worker
        self.frames_ = 0
        self._queue: asyncio.Queue[object] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._stopped = False

    def latest(self) -> Any:
        """The newest ``CameraResult`` (picture and skeleton), or None before the first."""
        return self.worker.latest()

    def _on_result(self, result: Any) -> None:  # the worker's inference thread
        loop, queue = self._loop, self._queue
        if loop is None or queue is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(queue.put_nowait, (result.t_s, result.pose))
        except RuntimeError:  # the loop closed between the check and the call
            pass

    def __aiter__(self) -> WorkerAngleSource:
        if self._queue is None and not self._closed:
            self._loop = asyncio.get_running_loop()
            self._queue = asyncio.Queue()
            self.worker.on_result = self._on_result
        return self

    async def __anext__(self) -> AngleChunk:
        if self._closed or self._queue is None:
            raise StopAsyncIteration
        items = []
        while True:
            try:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for returns a frame that
                # arrives as the set's task is cancelled and drops the cancellation, and
                # this loop then reads the camera for ever (a kiosk closed mid-set hung)
                async with asyncio.timeout(0.5):
                    item = await self._queue.get()
            except TimeoutError:
                if self.worker.error_ is not None:
                    await self.aclose()
                    raise CameraError(f"camera stopped: {self.worker.error_}") from None
                if not self.worker.running:
                    await self.aclose()
                    raise StopAsyncIteration from None
                continue
            if item is _END:
                raise StopAsyncIteration
            items.append(item)
            while not self._queue.empty():  # what came meanwhile, in one chunk
                nxt = self._queue.get_nowait()
                if nxt is _END:
                    self._queue.put_nowait(_END)
                    break
                items.append(nxt)
            break
        self.frames_ += len(items)
        return self.stream.chunk(items)  # type: ignore[arg-type]

    async def aclose(self) -> None:
        """End the stream and stop the worker (idempotent; its capture subscriber closes,
        so the shared camera closes when nobody else reads it)."""
        if self._closed:
            return
        self._closed = True
        self.worker.on_result = None
        if self._queue is not None:
            self._queue.put_nowait(_END)
        if not self._stopped:
            self._stopped = True
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, self.worker.stop, STOP_TIMEOUT_S)
