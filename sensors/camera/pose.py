"""Pose estimators: the MediaPipe adapter (model shipped inside the wheel) and a fake.

Only ``mediapipe==0.10.18``'s legacy ``solutions.pose`` *full* model (model_complexity=1)
is used: it is bundled in the wheel and loads offline. The lite (0) and heavy (2) models
are downloaded at first use, which fails on an offline kiosk, so they are not offered.
It is imported and built for the kiosk's memory budget by :mod:`sensors.camera.pose_graph`
(MediaPipe's package imports deferred, the person detector on TFLite's own kernels, the
landmark model converted (float32 weights, no segmentation head) into a per-user cache at
first use, both model files mapped and their pages given back once the graph has run).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol, Self

import numpy as np

from sensors.camera.errors import CameraError
from sensors.camera.landmarks import N_LANDMARKS, PoseFrame

_LOG = logging.getLogger(__name__)
FULL_MODEL = 1  # mediapipe model_complexity of the model shipped in the wheel


class PoseEstimator(Protocol):
    """Image (BGR, uint8, H×W×3) → landmarks, or None when nobody is found."""

    def estimate(self, image_bgr: np.ndarray, t_s: float) -> PoseFrame | None: ...

    def close(self) -> None: ...


class MediaPipePose:
    """MediaPipe Pose (BlazePose full). ``video=True`` tracks between frames (faster, and
    what a camera stream wants); ``video=False`` detects afresh in every image.

    MediaPipe's own landmark smoothing is off: the angle stream has its own causal filter,
    and two filters in a row would add their lags. ``detector_xnnpack=False`` (the default)
    runs the person detector on TFLite's own kernels: ~21 MB less, the detection (every
    image with ``video=False``; in video mode only while nobody is tracked) ~2x slower.
    ``landmark_fp32=True`` (the default) loads the landmark model converted for the kiosk
    (:mod:`sensors.camera.model_cache`: float32 weights, no segmentation head): ~28 MB
    less, frames ~1.6x as fast, the same landmarks. Both model files are mapped, their
    pages dropped once read (~15 MB less).
    """

    def __init__(self, *, video: bool = True, min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5, detector_xnnpack: bool = False,
                 landmark_fp32: bool = True) -> None:
        from sensors.camera.pose_graph import make_pose

        try:
            self._pose = make_pose(
                detector_xnnpack=detector_xnnpack,
                landmark_fp32=landmark_fp32,
                static_image_mode=not video,
                model_complexity=FULL_MODEL,
                smooth_landmarks=False,
                enable_segmentation=False,
                min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=min_tracking_confidence,
            )
        except (RuntimeError, FileNotFoundError, OSError) as exc:
            raise CameraError(f"the pose model failed to load: {exc}") from exc

    def estimate(self, image_bgr: np.ndarray, t_s: float) -> PoseFrame | None:
        if image_bgr.ndim != 3 or image_bgr.shape[2] != 3:
            raise CameraError(f"expected a BGR image H×W×3, got shape {image_bgr.shape}")
        h, w = image_bgr.shape[:2]
        rgb = np.ascontiguousarray(image_bgr[:, :, ::-1])
        rgb.flags.writeable = False  # lets MediaPipe use the buffer without a copy
        if self._pose is None:
            raise CameraError("the pose model is closed")
        result = self._pose.process(rgb)
        if result.pose_landmarks is None:
            return None
        xyv = np.array([(p.x, p.y, p.visibility) for p in result.pose_landmarks.landmark], float)
        if xyv.shape[0] != N_LANDMARKS:
            raise CameraError(f"pose model gave {xyv.shape[0]} landmarks, expected {N_LANDMARKS}")
        return PoseFrame.from_normalized(t_s, xyv, w, h)

    def close(self) -> None:
        """Stop the graph and free the models (~100 MB); again: nothing."""
        pose, self._pose = self._pose, None
        if pose is not None:
            pose.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ScriptedPose:
    """Fake estimator: returns prepared frames in order (then None), ignoring the image.

    Frames are re-stamped with the time passed in, as the real estimator does.
    """

    def __init__(self, frames: Iterable[PoseFrame | None]) -> None:
        self._frames = list(frames)
        self._i = 0
        self.calls_ = 0

    def estimate(self, image_bgr: np.ndarray, t_s: float) -> PoseFrame | None:
        self.calls_ += 1
        if self._i >= len(self._frames):
            return None
        f = self._frames[self._i]
        self._i += 1
        if f is None:
            return None
        return PoseFrame(t_s, f.xy_px, f.visibility, f.width, f.height)

    def close(self) -> None:
        pass
