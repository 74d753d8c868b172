"""OpenCV capture from a camera index, a V4L2 device path or a video file; and the live
camera's opener, :func:`open_live_camera`, which reads it without OpenCV
(:mod:`sensors.camera.v4l2_capture`: ~28 MB less, no cv2 import) and falls back to OpenCV
only for a camera that capture cannot read.

``OpenCvCapture.read()`` blocks for the next frame; for a live camera the
:class:`~sensors.camera.worker.CameraWorker` calls it from its own thread, so the UI never
waits. A video file is read frame by frame with times from the file (frame index / fps),
so a replay gives the same times on every run; a live camera stamps each frame with the
host's monotonic clock when it is grabbed.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

import numpy as np

from sensors.camera.errors import CameraError, CameraMissing, PoseModelMissing

_LOG = logging.getLogger(__name__)
OPENCV_LOG_ERROR = 2  # cv::utils::logging::LOG_LEVEL_ERROR (3 is WARNING, the default)
AV_LOG_FATAL = "8"  # libavutil/log.h (16 is AV_LOG_ERROR)


class FrameSource(Protocol):
    """Frames with their capture times (s); ``read`` returns None at the end of a file."""

    fps: float

    def read(self) -> tuple[float, np.ndarray] | None: ...

    def close(self) -> None: ...


def _cv2():
    # FFmpeg (OpenCV's file backend, set up at the first file opened) prints its own line on
    # fd 2 for a file it cannot read ("moov atom not found"): CameraMissing says it, once.
    # Only its fatal messages, unless the environment asks for more.
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", AV_LOG_FATAL)
    try:
        import cv2
    except ImportError as exc:
        raise PoseModelMissing(exc) from exc
    return cv2


class OpenCvCapture:
    """``source``: an int (camera index), a ``/dev/video*`` path, or a video file."""

    def __init__(self, source: int | str | Path, *, width: int = 640, height: int = 480,
                 fps: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        cv2 = _cv2()
        self.source = source
        self._clock = clock
        path = Path(source) if not isinstance(source, int) else None
        self.is_file = path is not None and path.is_file() and not str(path).startswith("/dev/")
        if not isinstance(source, int) and not str(source).startswith("/dev/") and (
                path is None or not path.is_file()):
            raise CameraMissing(source, "no such file")
        # OpenCV writes its own warning to fd 2 when a camera or file will not open
        # ("can't be used to capture by index"): CameraMissing says it, and what to do, once
        level = cv2.getLogLevel()
        cv2.setLogLevel(OPENCV_LOG_ERROR)
        try:
            if isinstance(source, int):
                cap = cv2.VideoCapture(source, cv2.CAP_V4L2)
            elif not self.is_file and str(source).startswith("/dev/"):
                cap = cv2.VideoCapture(str(source), cv2.CAP_V4L2)
            else:
                cap = cv2.VideoCapture(str(source))
        finally:
            cv2.setLogLevel(level)
        if not cap.isOpened():
            raise CameraMissing(source)
        if not self.is_file:
            # MJPG lets a USB 2 webcam deliver 640x480 at 30 fps; one buffered frame keeps
            # the newest frame the one we get (no queue of stale frames behind inference).
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG"))
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
            cap.set(cv2.CAP_PROP_FPS, fps)
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        got = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = got if got > 0 else fps
        self.width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self._cap = cap
        self._n = 0
        _LOG.info("camera %r open: %dx%d at %.1f fps", source, self.width, self.height, self.fps)

    def read(self) -> tuple[float, np.ndarray] | None:
        ok, image = self._cap.read()
        if not ok or image is None:
            if self.is_file:
                return None
            raise CameraMissing(self.source, "no frame (camera unplugged?)")
        t = self._n / self.fps if self.is_file else self._clock()
        self._n += 1
        return t, image

    def close(self) -> None:
        self._cap.release()


_FELL_BACK: set[str] = set()  # devices whose fallback to OpenCV was logged


def open_live_camera(device: int | str, *, width: int = 640, height: int = 480,
                     fps: float = 30.0, clock: Callable[[], float] = time.monotonic,
                     v4l2_os: object = None,
                     fallback: Callable[..., FrameSource] | None = None) -> FrameSource:
    """The live camera ``device`` (index N or a /dev/video path) read straight from V4L2
    (``v4l2_os``: the OS calls, the real ones by default); a camera offering neither MJPG
    nor YUYV, or no streaming, is read by ``fallback`` (:class:`OpenCvCapture`), said once
    per device in the log. A missing or unplugged camera raises :class:`CameraMissing`."""
    from sensors.camera.v4l2_capture import V4l2Capture, V4l2Unsupported

    try:
        return V4l2Capture(device, width=width, height=height, fps=fps, clock=clock,
                           v4l2_os=v4l2_os)  # type: ignore[arg-type]
    except V4l2Unsupported as exc:
        if str(device) not in _FELL_BACK:
            _FELL_BACK.add(str(device))
            _LOG.warning("%s: reading it with OpenCV instead", exc)
        opener = fallback if fallback is not None else OpenCvCapture
        return opener(device, width=width, height=height, fps=fps, clock=clock)


class ArrayCapture:
    """Fake source: frames from memory, at ``fps`` (times index / fps)."""

    def __init__(self, images: Iterable[np.ndarray], fps: float = 30.0) -> None:
        self._images = list(images)
        self.fps = fps
        self._n = 0

    def read(self) -> tuple[float, np.ndarray] | None:
        if self._n >= len(self._images):
            return None
        image = self._images[self._n]
        t = self._n / self.fps
        self._n += 1
        return t, image

    def close(self) -> None:
        pass


def write_video(path: Path, images: Iterable[np.ndarray], fps: float = 30.0,
                fourcc: str = "mp4v") -> int:
    """Write BGR images to a video with OpenCV (mp4v or MJPG; H.264 is not available)."""
    cv2 = _cv2()
    writer = None
    n = 0
    try:
        for image in images:
            if writer is None:
                h, w = image.shape[:2]
                writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
                if not writer.isOpened():
                    raise CameraError(f"OpenCV cannot write {fourcc} video to {path}")
            writer.write(image)
            n += 1
    finally:
        if writer is not None:
            writer.release()
    return n
