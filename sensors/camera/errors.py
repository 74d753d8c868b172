"""Errors of the camera backend (one root, subclasses saying what to do)."""

from __future__ import annotations

from sensors.source import SensorError


class CameraError(SensorError):
    """Root of the camera backend's errors."""


class CameraMissing(CameraError):
    """The camera (index, V4L2 path or video file) cannot be opened or read."""

    def __init__(self, source: object, detail: str = "") -> None:
        self.source = source
        shown = source if isinstance(source, int) else repr(str(source))  # a path, not Path()
        msg = f"cannot open camera source {shown}"
        super().__init__(msg + (f": {detail}" if detail else "") +
                         " (check the cable, the /dev/video* permissions or the file path)")


class PoseModelMissing(CameraError):
    """The pose model's package is not installed (the ``camera`` extra)."""

    def __init__(self, exc: BaseException) -> None:
        super().__init__(
            f"pose estimation needs the camera extra: pip install 'rehab-kiosk[camera]' ({exc})")
