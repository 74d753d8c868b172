"""``rehab replay VIDEO --camera --joint knee_right``: a video through the camera path.

The same frames → pose → angle → :class:`~motion.pipeline.SetAnalyzer` code the kiosk runs
live, fed in order (no frame dropped), so the JSON matches the IMU replay's shape.
"""

from __future__ import annotations

import logging
from pathlib import Path

from motion.pipeline import SetAnalyzer
from sensors.camera.angles import CameraJoint
from sensors.camera.capture import FrameSource, OpenCvCapture
from sensors.camera.pose import MediaPipePose, PoseEstimator
from sensors.camera.stream import CameraSet

_LOG = logging.getLogger(__name__)
FEED_FRAMES = 8  # frames per feed_angle call (~0.27 s at 30 fps, like a BLE batch)


def replay_frames(source: FrameSource, estimator: PoseEstimator, joint: CameraJoint, *,
                  exercise_id: str | None = None, **analyzer_kwargs: object) -> SetAnalyzer:
    """Every frame of ``source`` through ``estimator`` and a :class:`CameraSet`."""
    cam = CameraSet(joint, fps=source.fps, exercise_id=exercise_id, **analyzer_kwargs)
    batch = []
    while (got := source.read()) is not None:
        t_s, image = got
        batch.append((t_s, estimator.estimate(image, t_s)))
        if len(batch) >= FEED_FRAMES:
            cam.feed(batch)
            batch = []
    if batch:
        cam.feed(batch)
    cam.finish()
    _LOG.info("camera replay: %d frames, joint unseen in %d", cam.stream.frames_,
              cam.stream.unseen_)
    return cam.analyzer


def replay_video(path: Path, joint: CameraJoint | str, *, exercise_id: str | None = None,
                 **analyzer_kwargs: object) -> SetAnalyzer:
    """A video file through MediaPipe and the motion core; times start at 0."""
    joint = joint if isinstance(joint, CameraJoint) else CameraJoint.parse(joint)
    source = OpenCvCapture(path)
    try:
        with MediaPipePose(video=True) as estimator:
            return replay_frames(source, estimator, joint, exercise_id=exercise_id,
                                 **analyzer_kwargs)
    finally:
        source.close()
