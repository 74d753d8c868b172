"""How a set's samples reach its analyzer (``therapy.session.SessionController.run_set``).

- :func:`pairs`: the distal wearable's chunks, each with the proximal one's samples on the
  same times (``motion.pipeline.PairAligner``);
- :func:`feed_angle`: a camera's angle samples into the analyzer's one detector;
- :class:`CameraFeed`: the camera of a camera + wearable set read in its own task and fed
  to the fused set (:func:`fused_set_factory`) as it comes, the wearable held back at most
  ``CAMERA_WAIT_S`` when it runs too far ahead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from motion.types import Rep
from sensors.source import SampleSource
from sensors.types import ImuChunk
from therapy.errors import TherapyError


def fused_set_factory(rate_hz: float, params: Any) -> Any:
    """A camera + wearable set (``motion.camera_set.CameraImuSet``) judged by ``params``
    (the same mapping ``motion.params.build_analyzer`` uses)."""
    from motion.camera_set import CameraImuSet
    from motion.params import analyzer_kwargs

    return CameraImuSet(rate_hz, **analyzer_kwargs(params))


# How long (host time) the wearable's samples may wait for the camera's frames to come
# within the fusion's wait limit (a replayed video's pose inference is slower than a
# simulated wearable), and at a set's end for the frames of its last rep.
CAMERA_WAIT_S = 1.0
CAMERA_END_WAIT_S = 5.0


class CameraFeed:
    """Reads the camera in its own task and feeds each chunk to the fused set as it comes
    (the wearable's samples do not wait for it: their reps are counted at once). The
    wearable may run ahead of the camera by the fusion's wait limit (data time); beyond
    that ``reach`` holds it for the camera (at most ``CAMERA_WAIT_S``), so the fusion sees
    the camera wherever it can (a video replayed beside a simulated wearable) and the
    same replay gives the same ROMs."""

    def __init__(self, camera: SampleSource, fused: Any, paused: Callable[[], bool],
                 measured: Callable[[list[Any]], None]) -> None:
        self.end_s = float("-inf")
        self.done = False
        self.stalled = False
        self._fused, self._paused, self._measured = fused, paused, measured
        self.ahead_s = float(fused.fusion.max_wait_s)  # how far the wearable may run ahead
        self._moved = asyncio.Event()
        self._task = asyncio.ensure_future(self._read(camera))

    async def _read(self, camera: SampleSource) -> None:
        try:
            cam: Any  # sensors.camera.stream.AngleChunk
            async for cam in camera:
                if len(cam.t_s) == 0:
                    continue
                if not self._paused():
                    self._fused.feed_camera(cam.t_s, cam.angle_deg)
                    self._measured(self._fused.pop_measured())
                self.end_s = float(cam.t_s[-1])
                self.stalled = False
                self._moved.set()
        finally:
            self.done = True
            self._moved.set()

    async def reach(self, t_s: float, stopped: Callable[[], bool],
                    timeout_s: float = CAMERA_WAIT_S) -> None:
        """Wait (at most ``timeout_s``) for the camera's frames to reach ``t_s``. A camera
        that let that pass is stalled: no waiting for it again until it sends a frame."""
        loop = asyncio.get_running_loop()
        until = loop.time() + timeout_s
        while not self.done and not self.stalled and self.end_s < t_s and not stopped():
            self._moved.clear()
            try:  # asyncio.timeout: 3.11's wait_for can drop a cancellation (worker_source)
                async with asyncio.timeout_at(until):
                    await self._moved.wait()
            except TimeoutError:
                self.stalled = True

    async def close(self) -> None:
        """Stop reading; a camera failure is raised here."""
        if not self._task.done():
            self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass


def feed_angle(analyzer: Any, chunk: Any) -> list[Rep]:
    """Angle samples (``t_s``, ``angle_deg``: a camera) into the analyzer's one detector
    (``motion.pipeline.SetAnalyzer.feed_angle``, what ``motion.camera_set.CameraSet``
    feeds), so camera reps are judged like IMU reps."""
    feed = getattr(analyzer, "feed_angle", None)
    if feed is None:
        raise TherapyError(f"{type(analyzer).__name__} cannot count reps from angle samples")
    reps: list[Rep] = feed(chunk.t_s, chunk.angle_deg)
    return reps


async def pairs(source: SampleSource,
                 proximal: SampleSource | None) -> AsyncIterator[tuple[ImuChunk, ImuChunk | None]]:
    """Chunks of the distal source, each with the proximal stream on the same sample times.

    Uses the motion core's ``PairAligner`` (proximal interpolated onto distal times), so two
    wearables with their own clocks, rates or dropped samples pair up correctly.
    """
    if proximal is None:
        async for chunk in source:
            yield chunk, None
        return
    from motion.pipeline import PairAligner

    aligner = PairAligner()
    dist_it, prox_it = source.__aiter__(), proximal.__aiter__()
    prox_done = False
    prox_last = float("-inf")
    while True:
        try:
            chunk = await dist_it.__anext__()
        except StopAsyncIteration:
            break
        aligner.push_distal(chunk)
        while not prox_done and prox_last < float(chunk.t_s[-1]):
            try:
                p = await prox_it.__anext__()
            except StopAsyncIteration:
                prox_done = True
                break
            aligner.push_proximal(p)
            prox_last = float(p.t_s[-1])
        got = aligner.pop(flush=prox_done)
        if got is not None:
            yield got
    got = aligner.pop(flush=True)
    if got is not None:
        yield got
