"""The camera for the set-up screen: a started ``CameraWorker`` (capture + pose on its own
threads) when the ``camera`` extra and a camera are present, else a :class:`NoCamera`
error whose message the screen shows ("No camera found")."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.errors import KioskError

log = logging.getLogger(__name__)
NO_CAMERA = "No camera found"

CameraOpener = Callable[[], Any]  # -> a started CameraWorker (latest(), stop())


class NoCamera(KioskError):
    """No camera, or the camera extra (OpenCV, MediaPipe) is not installed."""


def open_camera(device: int | str | None = None) -> Any:
    """The first /dev/video* (or ``device``) with MediaPipe pose, started."""
    if device is None:
        videos = sorted(Path("/dev").glob("video*"))
        if not videos:
            raise NoCamera(f"{NO_CAMERA}: plug in the USB camera and try again.")
        device = str(videos[0])
    try:
        from sensors.camera.capture import OpenCvCapture
        from sensors.camera.errors import CameraError
        from sensors.camera.pose import MediaPipePose
        from sensors.camera.worker import CameraWorker
    except ImportError as exc:
        raise NoCamera(f"{NO_CAMERA}: the camera extra is not installed "
                       "(pip install 'rehab-kiosk[camera]').") from exc
    try:
        capture = OpenCvCapture(device)
    except (CameraError, ImportError) as exc:
        raise NoCamera(f"{NO_CAMERA}: {exc}") from exc
    try:
        pose = MediaPipePose(video=True)
    except (CameraError, ImportError) as exc:
        capture.close()
        raise NoCamera(f"{NO_CAMERA}: {exc}") from exc
    worker = CameraWorker(capture, pose)
    worker.start()
    return worker
