"""Camera backend: capture, markerless pose, joint angles in the image plane, framing checks.

The package ends at samples: frames → landmarks → the exercise angle stream
(:class:`~sensors.camera.stream.CameraAngleStream`), served by
:class:`~sensors.camera.source.CameraSource` under the sample-source contract as
:class:`~sensors.camera.stream.AngleChunk` s. Counting reps from those samples is the
motion core's (:mod:`motion.camera_set`); which way an exercise goes and how the camera must
see it come from the catalogue, passed in by the caller. The pure parts (:mod:`.landmarks`,
:mod:`.angles`, :mod:`.one_euro`, :mod:`.stream`, :mod:`.framing`) import numpy only.
The adapters import their libraries inside: a live camera is read straight from V4L2
(:mod:`.v4l2_capture`, MJPG decoded by Pillow, YUYV by numpy), OpenCV only for a video file
or a camera offering neither format (:mod:`.capture`), MediaPipe for the pose (:mod:`.pose`);
so the rest of the kiosk installs and runs without the ``camera`` extra, and a kiosk with a
live camera never loads OpenCV (~28 MB).
"""

from sensors.camera.errors import CameraError, CameraMissing, PoseModelMissing

__all__ = ["CameraError", "CameraMissing", "PoseModelMissing"]
