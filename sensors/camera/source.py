"""The camera as a sample source: frames → pose → the exercise angle, in :class:`AngleChunk` s.

It keeps the :class:`~sensors.source.SampleSource` contract (``info``, ``async for``,
chunks in time order, end of stream, an idempotent :meth:`CameraSource.aclose`, errors
rooted in :class:`~sensors.source.SensorError`); its samples are angles in degrees, not IMU
readings. This is where the camera package ends: counting reps from the angles is the
motion core's (:class:`motion.camera_set.CameraSet`).

Pose inference blocks (~20-40 ms a frame), so each batch of frames is read and estimated
in the event loop's default executor, one batch at a time. Every frame is read in order:
a video file gives all of them with times from the file (a replay drops nothing); a live
camera keeps one buffered frame, so each read gets the newest and frames the model had no
time for are never queued behind it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

from sensors.camera.capture import FrameSource, OpenCvCapture
from sensors.camera.errors import CameraError
from sensors.camera.landmarks import PoseFrame
from sensors.camera.pose import MediaPipePose, PoseEstimator
from sensors.camera.stream import AngleChunk, CameraAngleStream
from sensors.source import SensorError
from sensors.types import BodySegment, SourceInfo

_LOG = logging.getLogger(__name__)
FEED_FRAMES = 8  # frames per chunk (~0.27 s at 30 fps, like a BLE batch)

PoseBatch = list[tuple[float, PoseFrame | None]]


def pose_batches(frames: FrameSource, estimator: PoseEstimator,
                 size: int = FEED_FRAMES) -> Iterator[PoseBatch]:
    """Every frame of ``frames`` through ``estimator``, in batches of ``size`` (the last
    one shorter); ends with the file."""
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    batch: PoseBatch = []
    while (got := frames.read()) is not None:
        t_s, image = got
        batch.append((t_s, estimator.estimate(image, t_s)))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class CameraSource:
    """Frames of ``frames`` through ``estimator`` and ``stream`` (whose ``sign`` the caller
    took from the catalogue), as :class:`AngleChunk` s of up to ``batch`` frames.

    The source owns ``frames`` and ``estimator``: :meth:`aclose` closes both (after a batch
    in progress has finished, so a capture is never released under a read).
    """

    def __init__(self, frames: FrameSource, estimator: PoseEstimator,
                 stream: CameraAngleStream, *, batch: int = FEED_FRAMES,
                 sensor_id: str | None = None) -> None:
        joint = stream.joint.value
        self.info = SourceInfo(sensor_id or f"camera:{joint}", BodySegment.UNKNOWN,
                               float(frames.fps), f"camera, {joint}")
        self.stream = stream
        self._frames = frames
        self._estimator = estimator
        self._batches = pose_batches(frames, estimator, batch)
        self._pending: asyncio.Future[PoseBatch | None] | None = None
        self._closed = False

    @classmethod
    def open_video(cls, path: Path, stream: CameraAngleStream, **kw: object) -> CameraSource:
        """A video file (times start at 0) through MediaPipe in video mode."""
        frames = OpenCvCapture(path)
        try:
            estimator = MediaPipePose(video=True)
        except BaseException:
            frames.close()
            raise
        return cls(frames, estimator, stream, **kw)  # type: ignore[arg-type]

    def __aiter__(self) -> CameraSource:
        return self

    async def __anext__(self) -> AngleChunk:
        if self._closed:
            raise StopAsyncIteration
        if self._pending is None:  # else a read a cancelled call left running: take it
            loop = asyncio.get_running_loop()
            self._pending = loop.run_in_executor(None, next, self._batches, None)
        try:
            # Shielded: cancelling the caller leaves the read running, and aclose waits
            # for it before it closes the capture.
            batch = await asyncio.shield(self._pending)
        except SensorError:
            self._pending = None
            await self.aclose()
            raise
        except Exception as exc:  # noqa: BLE001 - the source's boundary: logged, handed on
            self._pending = None
            _LOG.exception("camera source %s failed", self.info.sensor_id)
            await self.aclose()
            raise CameraError(f"camera source {self.info.sensor_id} stopped: {exc}") from exc
        self._pending = None
        if batch is None or self._closed:
            await self.aclose()
            raise StopAsyncIteration
        return self.stream.chunk(batch)

    async def aclose(self) -> None:
        """End the stream and close the capture and the pose model (idempotent)."""
        if self._closed:
            return
        self._closed = True
        pending, self._pending = self._pending, None
        if pending is not None:
            await asyncio.wait([pending])  # a read in progress finishes first
        self._frames.close()
        self._estimator.close()
