"""A video file's frames, every one in order, as batches of pose landmarks.

The replay side of the camera (``rehab replay VIDEO --camera``): the same frames → pose
code the kiosk runs live, but no frame is dropped and times come from the file. What the
batches become (an angle stream, then reps) is the caller's composition: the camera
package ends at :class:`~sensors.camera.stream.CameraAngleStream`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sensors.camera.capture import FrameSource, OpenCvCapture
from sensors.camera.landmarks import PoseFrame
from sensors.camera.pose import MediaPipePose, PoseEstimator

FEED_FRAMES = 8  # frames per batch (~0.27 s at 30 fps, like a BLE batch)

PoseBatch = list[tuple[float, PoseFrame | None]]


def pose_batches(source: FrameSource, estimator: PoseEstimator,
                 size: int = FEED_FRAMES) -> Iterator[PoseBatch]:
    """Every frame of ``source`` through ``estimator``, in batches of ``size`` (the last
    one shorter); ends with the file."""
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    batch: PoseBatch = []
    while (got := source.read()) is not None:
        t_s, image = got
        batch.append((t_s, estimator.estimate(image, t_s)))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@contextmanager
def open_video(path: Path) -> Iterator[tuple[FrameSource, PoseEstimator]]:
    """A video file (times start at 0) and MediaPipe in video mode; both closed on exit."""
    source = OpenCvCapture(path)
    try:
        with MediaPipePose(video=True) as estimator:
            yield source, estimator
    finally:
        source.close()
