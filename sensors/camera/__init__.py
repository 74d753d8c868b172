"""Camera backend: capture, markerless pose, joint angles in the image plane, framing checks.

The package ends at samples: frames → landmarks → the exercise angle stream
(:class:`~sensors.camera.stream.CameraAngleStream`), served by
:class:`~sensors.camera.source.CameraSource` under the sample-source contract as
:class:`~sensors.camera.stream.AngleChunk` s. Counting reps from those samples is the
motion core's (:mod:`motion.camera_set`); which way an exercise goes and how the camera must
see it come from the catalogue, passed in by the caller. The pure parts (:mod:`.landmarks`,
:mod:`.angles`, :mod:`.one_euro`, :mod:`.stream`, :mod:`.framing`) import numpy only.
OpenCV and MediaPipe are imported inside the adapters (:mod:`.capture`, :mod:`.pose`), so
the rest of the kiosk installs and runs without the ``camera`` extra.
"""

from sensors.camera.errors import CameraError, CameraMissing, PoseModelMissing

__all__ = ["CameraError", "CameraMissing", "PoseModelMissing"]
