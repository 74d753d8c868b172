"""Camera backend: capture, markerless pose, joint angles in the image plane, framing checks.

The pure parts (:mod:`.landmarks`, :mod:`.angles`, :mod:`.one_euro`, :mod:`.stream`,
:mod:`.framing`) import numpy only. OpenCV and MediaPipe are imported inside the adapters
(:mod:`.capture`, :mod:`.pose`), so the rest of the kiosk installs and runs without the
``camera`` extra.
"""

from sensors.camera.errors import CameraError, CameraMissing, PoseModelMissing

__all__ = ["CameraError", "CameraMissing", "PoseModelMissing"]
