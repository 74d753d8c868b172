"""Pose frames → the gated, smoothed exercise angle: where the camera package ends.

The same object serves a live camera and a video replay: frames go in as they come, the
angle stream comes out. Counting reps from it is the motion core's job
(:class:`motion.camera_set.CameraSet` feeds it to the IMU path's despike, rep detector and
quality rules), so camera reps are judged exactly like IMU reps.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from sensors.camera.angles import MIN_VISIBILITY, CameraJoint, joint_angle_deg
from sensors.camera.framing import FramingProblem, View, check_framing
from sensors.camera.landmarks import PoseFrame
from sensors.camera.one_euro import OneEuroFilter


@dataclass(frozen=True, slots=True, eq=False)
class AngleChunk:
    """A run of the exercise angle at frame times: the camera's samples.

    ``t_s`` (n,) seconds, ``angle_deg`` (n,) degrees with the asked-for movement positive,
    NaN where the joint was not seen (the motion core skips and counts those).
    """

    t_s: np.ndarray
    angle_deg: np.ndarray

    def __post_init__(self) -> None:
        if self.t_s.shape != self.angle_deg.shape or self.t_s.ndim != 1:
            raise ValueError(f"chunk shapes disagree: t {self.t_s.shape}, "
                             f"angle {self.angle_deg.shape}")

    def __len__(self) -> int:
        return int(self.t_s.shape[0])


class CameraAngleStream:
    """Frames → the exercise angle (degrees, the asked-for movement positive; NaN = unseen).

    ``sign`` is +1 or -1, given by the caller: the exercise's polarity (the catalogue's
    :attr:`exercises.Exercise.movement_sign`; -1 when the movement straightens the joint,
    so its anatomical angle falls). Results:
    ``t_s_``/``angle_deg_`` of the last call, ``frames_``, ``unseen_`` (frames without the
    joint's landmarks), :attr:`unseen_s_` (how long the joint has been out of view),
    ``framing_`` (frames with each :class:`~sensors.camera.framing.FramingProblem`, as the
    set-up screen checks them; side-on or facing only when ``view`` is given: the
    exercise's, ``framing.view_of_plane``), which :func:`view_warnings` reports.
    """

    def __init__(self, joint: CameraJoint, *, sign: float = 1.0,
                 min_visibility: float = MIN_VISIBILITY,
                 smoother: OneEuroFilter | None = None, view: View | None = None) -> None:
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
        self.view = view
        self.framing_: Counter[FramingProblem] = Counter()
        self._first_t = math.nan  # frame times: the first, the newest, the newest seen
        self._last_t = math.nan
        self._seen_t = math.nan

    def angle(self, t_s: float, frame: PoseFrame | None) -> float:
        """One frame (``None``: no person found) → smoothed angle or NaN."""
        raw = (joint_angle_deg(frame, self.joint, self.min_visibility)
               if frame is not None else math.nan)
        self.frames_ += 1
        if self.frames_ == 1:
            self._first_t = t_s
        self._last_t = t_s
        if math.isfinite(raw):
            self._seen_t = t_s
        else:
            self.unseen_ += 1
        check = check_framing(frame, self.joint, self.view or View.SIDE_ON,
                              min_visibility=self.min_visibility)
        self.framing_.update(p for p in check.problems
                             if self.view is not None or p not in _VIEW_PROBLEMS)
        return self._filter.step(t_s, self.sign * raw)

    @property
    def unseen_s_(self) -> float:
        """Seconds of frame time the joint has been out of view up to the newest frame
        (since the first frame if it never was in view): 0 while it is seen or before any
        frame. What the kiosk's live set tells the patient by (kiosk.run)."""
        if self.frames_ == 0:
            return 0.0
        since = self._seen_t if math.isfinite(self._seen_t) else self._first_t
        return self._last_t - since

    def process(self, items: Iterable[tuple[float, PoseFrame | None]]) -> tuple[np.ndarray,
                                                                                np.ndarray]:
        t, a = [], []
        for t_s, frame in items:
            t.append(t_s)
            a.append(self.angle(t_s, frame))
        self.t_s_, self.angle_deg_ = np.asarray(t, float), np.asarray(a, float)
        return self.t_s_, self.angle_deg_

    def chunk(self, items: Iterable[tuple[float, PoseFrame | None]]) -> AngleChunk:
        """:meth:`process` as an :class:`AngleChunk`."""
        return AngleChunk(*self.process(items))


_VIEW_PROBLEMS = (FramingProblem.NOT_SIDE_ON, FramingProblem.NOT_FACING)
WARN_SHARE = 0.2  # a view problem in this share of a recording's frames is reported
_WHY: dict[FramingProblem, str] = {
    FramingProblem.NOT_IN_FRAME: "partly out of the picture",
    FramingProblem.TOO_FAR: "too far from the camera (the trunk under 15 % of the "
                            "picture's height): angles are less sure",
    FramingProblem.NOT_SIDE_ON: "not side-on to the camera: the exercise's angle is "
                                "measured in the picture's plane",
    FramingProblem.NOT_FACING: "not facing the camera: the exercise's angle is measured "
                               "in the picture's plane",
}


def view_warnings(stream: CameraAngleStream | None) -> list[str]:
    """What a camera recording's frames say about how the camera saw the patient, for a
    session's or a replay's ``warnings``: the joint out of view, nobody found, the person
    partly out of the picture, too far, or not in the exercise's view, each when it held
    for at least ``WARN_SHARE`` of the frames. Reps are counted as before: this says
    why a count may be short or angles less sure. Empty for no stream or no frames."""
    if stream is None or stream.frames_ == 0:
        return []
    n = stream.frames_
    joint = " ".join(reversed(stream.joint.value.split("_")))  # "right knee"
    out = []
    if stream.unseen_ >= WARN_SHARE * n:
        out.append(f"camera: in {stream.unseen_ / n:.0%} of {n} frames the {joint} was "
                   f"out of view (nobody found in "
                   f"{stream.framing_[FramingProblem.NO_PERSON]}): reps there are not counted")
    for problem, why in _WHY.items():
        if stream.framing_[problem] >= WARN_SHARE * n:
            out.append(f"camera: in {stream.framing_[problem] / n:.0%} of {n} frames the "
                       f"person was {why}")
    return out
