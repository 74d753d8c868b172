"""Sets measured by a camera: its angle samples into the motion core's one rep detector.

The camera package (``sensors.camera``) ends at angle samples: frames → the exercise angle
in degrees, the asked-for movement positive (the caller gives the polarity, from the
catalogue's :attr:`exercises.Exercise.movement_sign`), NaN where the joint was not seen.
Here those samples meet :meth:`~motion.pipeline.SetAnalyzer.feed_angle` (the IMU path's
despike, rep detector and quality rules), so camera reps are judged exactly like IMU reps:

- :class:`CameraSet`: the camera alone;
- :class:`CameraImuSet`: a wearable and the camera on the same joint, fused
  (:mod:`motion.camera_fusion`) into one detector.

Pure: samples are anything with ``t_s`` and ``angle_deg`` arrays
(``sensors.camera.stream.AngleChunk``), so this module imports neither the camera package
nor an I/O library.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from typing import Protocol

import numpy as np

from motion.camera_fusion import AngleSource, CameraImuFusion, rep_source
from motion.pipeline import SetAnalyzer
from motion.types import Rep
from sensors.types import ImuChunk

DEFAULT_FPS = 30.0


class AngleSamples(Protocol):
    """Angle samples: times (s) and the exercise angle (deg; NaN = not seen)."""

    @property
    def t_s(self) -> np.ndarray: ...

    @property
    def angle_deg(self) -> np.ndarray: ...


class CameraSet:
    """One set measured by the camera: angle samples in, :class:`~motion.types.Rep` s out.

    ``analyzer`` is the motion core's :class:`SetAnalyzer` (reps, gaps, counters).
    ``fps`` is the rate samples reach it: a video's frame rate on replay, the pose model's
    rate on a live camera (frames it had no time for are skipped), so the gap rules do not
    count ordinary frame spacing as holes.
    """

    def __init__(self, *, fps: float = DEFAULT_FPS, **analyzer_kwargs: object) -> None:
        self.analyzer = SetAnalyzer(fps, **analyzer_kwargs)  # type: ignore[arg-type]

    def feed(self, chunk: AngleSamples) -> list[Rep]:
        if chunk.t_s.shape[0] == 0:
            return []
        return self.analyzer.feed_angle(chunk.t_s, chunk.angle_deg)

    def finish(self) -> list[Rep]:
        return self.analyzer.finish()

    async def run(self, source: AsyncIterable[AngleSamples]) -> SetAnalyzer:
        """Every chunk of ``source`` until it ends, then :meth:`finish`."""
        async for chunk in source:
            self.feed(chunk)
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
