"""Pose frames → gated, smoothed exercise angle → the motion core's one rep detector.

The same object serves a live camera and a video replay: frames go in as they come, the
angle stream goes to :meth:`motion.pipeline.SetAnalyzer.feed_angle` (the IMU path's
despike, rep detector and quality rules), so camera reps are judged exactly like IMU reps.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from motion.pipeline import SetAnalyzer
from motion.types import Rep
from sensors.camera.angles import MIN_VISIBILITY, CameraJoint, exercise_sign, joint_angle_deg
from sensors.camera.landmarks import PoseFrame
from sensors.camera.one_euro import OneEuroFilter

DEFAULT_FPS = 30.0


class CameraAngleStream:
    """Frames → the exercise angle (degrees, the asked-for movement positive; NaN = unseen).

    ``sign`` is +1 or -1 (:func:`~sensors.camera.angles.exercise_sign`). Results:
    ``t_s_``/``angle_deg_`` of the last call, ``frames_``, ``unseen_`` (frames without the
    joint's landmarks).
    """

    def __init__(self, joint: CameraJoint, *, sign: float = 1.0,
                 min_visibility: float = MIN_VISIBILITY,
                 smoother: OneEuroFilter | None = None) -> None:
        if sign not in (1.0, -1.0):
            raise ValueError("sign must be +1 or -1")
        self.joint = joint
        self.sign = sign
        self.min_visibility = min_visibility
        self._filter = smoother if smoother is not None else OneEuroFilter(1.5, 0.02)
        self.t_s_: np.ndarray = np.empty(0)
        self.angle_deg_: np.ndarray = np.empty(0)
        self.frames_ = 0
        self.unseen_ = 0

    def angle(self, t_s: float, frame: PoseFrame | None) -> float:
        """One frame (``None``: no person found) → smoothed angle or NaN."""
        raw = (joint_angle_deg(frame, self.joint, self.min_visibility)
               if frame is not None else math.nan)
        self.frames_ += 1
        if not math.isfinite(raw):
            self.unseen_ += 1
        return self._filter.step(t_s, self.sign * raw)

    def process(self, items: Iterable[tuple[float, PoseFrame | None]]) -> tuple[np.ndarray,
                                                                                np.ndarray]:
        t, a = [], []
        for t_s, frame in items:
            t.append(t_s)
            a.append(self.angle(t_s, frame))
        self.t_s_, self.angle_deg_ = np.asarray(t, float), np.asarray(a, float)
        return self.t_s_, self.angle_deg_


class CameraSet:
    """One set measured by the camera: frames in, :class:`~motion.types.Rep` s out.

    ``analyzer`` is the motion core's :class:`SetAnalyzer` (reps, gaps, counters).
    ``fps`` is the rate frames reach it: a video's frame rate on replay, the pose model's
    rate on a live camera (frames it had no time for are dropped by the worker), so the
    gap rules do not count ordinary frame spacing as holes.
    """

    def __init__(self, joint: CameraJoint, *, fps: float = DEFAULT_FPS,
                 exercise_id: str | None = None, **analyzer_kwargs: object) -> None:
        self.stream = CameraAngleStream(joint, sign=exercise_sign(exercise_id))
        self.analyzer = SetAnalyzer(fps, **analyzer_kwargs)  # type: ignore[arg-type]

    def feed(self, items: Iterable[tuple[float, PoseFrame | None]]) -> list[Rep]:
        t, a = self.stream.process(items)
        if t.shape[0] == 0:
            return []
        return self.analyzer.feed_angle(t, a)

    def finish(self) -> list[Rep]:
        return self.analyzer.finish()
