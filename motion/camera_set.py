"""Sets measured by a camera: its angle stream into the motion core's one rep detector.

The camera package (``sensors.camera``) ends at an angle stream: frames → the exercise angle
in degrees, the asked-for movement positive (the caller gives the polarity, from the
catalogue's :attr:`exercises.Exercise.movement_sign`). Here that stream meets
:meth:`~motion.pipeline.SetAnalyzer.feed_angle` (the IMU path's despike, rep detector and
quality rules), so camera reps are judged exactly like IMU reps:

- :class:`CameraSet`: the camera alone;
- :class:`CameraImuSet`: a wearable and the camera on the same joint, fused
  (:mod:`motion.camera_fusion`) into one detector.

Pure: the angle stream is injected (any object with ``process(items) -> (t_s, angle_deg)``),
so this module imports neither the camera package nor an I/O library.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, Protocol, TypeVar

import numpy as np

from motion.camera_fusion import AngleSource, CameraImuFusion, rep_source
from motion.pipeline import SetAnalyzer
from motion.types import Rep
from sensors.types import ImuChunk

DEFAULT_FPS = 30.0

FrameT = TypeVar("FrameT")
FrameT_contra = TypeVar("FrameT_contra", contravariant=True)


class AngleStream(Protocol[FrameT_contra]):
    """Frames with their times → (times s, exercise angle deg; NaN where the joint is unseen)
    (``sensors.camera.stream.CameraAngleStream``)."""

    def process(self, items: Iterable[tuple[float, FrameT_contra]]) -> tuple[np.ndarray,
                                                                           np.ndarray]: ...


class CameraSet(Generic[FrameT]):
    """One set measured by the camera: frames in, :class:`~motion.types.Rep` s out.

    ``analyzer`` is the motion core's :class:`SetAnalyzer` (reps, gaps, counters).
    ``fps`` is the rate frames reach it: a video's frame rate on replay, the pose model's
    rate on a live camera (frames it had no time for are dropped by the worker), so the
    gap rules do not count ordinary frame spacing as holes.
    """

    def __init__(self, stream: AngleStream[FrameT], *, fps: float = DEFAULT_FPS,
                 **analyzer_kwargs: object) -> None:
        self.stream = stream
        self.analyzer = SetAnalyzer(fps, **analyzer_kwargs)  # type: ignore[arg-type]

    def feed(self, items: Iterable[tuple[float, FrameT]]) -> list[Rep]:
        t, a = self.stream.process(items)
        if t.shape[0] == 0:
            return []
        return self.analyzer.feed_angle(t, a)

    def finish(self) -> list[Rep]:
        return self.analyzer.finish()

    def run(self, batches: Iterable[Iterable[tuple[float, FrameT]]]) -> SetAnalyzer:
        """Every batch in order (a replay: no frame dropped), then :meth:`finish`."""
        for batch in batches:
            self.feed(batch)
        self.finish()
        return self.analyzer


class CameraImuSet:
    """One set seen by a wearable and the camera: the IMU path's exercise angle (from the
    motion core's own :class:`SetAnalyzer`), fused with the camera angle, into one
    detector. ``rep_sources_[i]`` says where ``reps_[i]``'s ROM came from.

    The camera angle must use the IMU angle's sign (the asked-for movement positive);
    its zero may differ (the offset absorbs it).
    """

    def __init__(self, rate_hz: float, *, fusion: CameraImuFusion | None = None,
                 **analyzer_kwargs: object) -> None:
        self.imu = SetAnalyzer(rate_hz, **analyzer_kwargs)  # type: ignore[arg-type]
        self.analyzer = SetAnalyzer(rate_hz, **analyzer_kwargs)  # type: ignore[arg-type]
        self.fusion = fusion if fusion is not None else CameraImuFusion()
        self._t: list[np.ndarray] = []
        self._used: list[np.ndarray] = []
        self.rep_sources_: list[AngleSource] = []
        self._imu_last_t = -np.inf

    @property
    def reps_(self) -> list[Rep]:
        return self.analyzer.reps_

    def feed_imu(self, chunk: ImuChunk, proximal: ImuChunk | None = None) -> list[Rep]:
        self.imu.feed(chunk, proximal)
        t, a = self.imu.angle_t_s_, self.imu.angle_trace_deg_
        new = t > self._imu_last_t  # the trace keeps the last batch when a feed adds none
        if new.any():
            self.fusion.push_imu(t[new], a[new])
            self._imu_last_t = float(t[new][-1])
        return self._run(flush=False)

    def feed_camera(self, t_s: np.ndarray, angle_deg: np.ndarray) -> list[Rep]:
        self.fusion.push_camera(t_s, angle_deg)
        return self._run(flush=False)

    def finish(self) -> list[Rep]:
        reps = self._run(flush=True)
        return reps + self._sources(self.analyzer.finish())

    def _run(self, *, flush: bool) -> list[Rep]:
        t, fused, used = self.fusion.pop(flush=flush)
        if t.size == 0:
            return []
        self._t.append(t)
        self._used.append(used)
        return self._sources(self.analyzer.feed_angle(t, fused))

    def _sources(self, reps: list[Rep]) -> list[Rep]:
        if reps:
            t, used = np.concatenate(self._t), np.concatenate(self._used)
            self.rep_sources_.extend(rep_source(r, t, used) for r in reps)
            # Only the samples of the current rep onward are needed again.
            keep = t >= reps[-1].t_end
            self._t, self._used = [t[keep]], [used[keep]]
        return reps
