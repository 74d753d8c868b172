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
from dataclasses import replace
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
    """One set seen by a wearable and the camera on the same joint.

    Reps are counted by the IMU path's own detector (``imu``, the motion core's
    :class:`SetAnalyzer`) as soon as the wearable's samples come: :meth:`feed_imu` returns
    them (count, IMU ROM, flags). The IMU angle is also fused with the camera angle
    (:class:`~motion.camera_fusion.CameraImuFusion`); once the fused samples cover a rep (the
    camera's frames reached its end, or the fusion's ``max_wait_s`` passed in data time) the
    rep is *measured*: the same rep with the fused angle's ROM (IMU ROM plus the change of
    the camera offset between the rep's start and peak) and where that came from.
    :meth:`pop_measured` hands those out once; ``reps_[i]`` / ``rep_sources_[i]`` keep them.

    The camera angle must use the IMU angle's sign (the asked-for movement positive);
    its zero may differ (the offset absorbs it).
    """

    def __init__(self, rate_hz: float, *, fusion: CameraImuFusion | None = None,
                 **analyzer_kwargs: object) -> None:
        self.imu = SetAnalyzer(rate_hz, **analyzer_kwargs)  # type: ignore[arg-type]
        self.analyzer = self.imu  # the counting detector (its live angle is the kiosk's)
        self.fusion = fusion if fusion is not None else CameraImuFusion()
        self.reps_: list[Rep] = []  # measured reps: fused ROM, in count order
        self.rep_sources_: list[AngleSource] = []
        self._pending: list[Rep] = []  # counted, not yet measured
        self._new: list[tuple[int, Rep, AngleSource]] = []
        self._t = np.empty(0)
        self._off = np.empty(0)  # fused - IMU angle (the camera offset) at ``_t``
        self._used = np.zeros(0, bool)
        self._imu_last_t = -np.inf

    def feed_imu(self, chunk: ImuChunk, proximal: ImuChunk | None = None) -> list[Rep]:
        """The wearable's samples: the reps the IMU detector confirmed (counted now)."""
        reps = self.imu.feed(chunk, proximal)
        self._pending.extend(reps)
        t, a = self.imu.angle_t_s_, self.imu.angle_trace_deg_
        new = t > self._imu_last_t  # the trace keeps the last batch when a feed adds none
        if new.any():
            self.fusion.push_imu(t[new], a[new])
            self._imu_last_t = float(t[new][-1])
        self._run(flush=False)
        return reps

    def feed_camera(self, t_s: np.ndarray, angle_deg: np.ndarray) -> None:
        self.fusion.push_camera(t_s, angle_deg)
        self._run(flush=False)

    def finish(self) -> list[Rep]:
        """End of the set: the last reps counted; every rep is measured after this."""
        self._run(flush=True)
        reps = self.imu.finish()
        self._pending.extend(reps)
        self._measure(flush=True)
        return reps

    @property
    def imu_end_s(self) -> float:
        """Data time of the last IMU sample fed (-inf before the first)."""
        return self._imu_last_t

    def pop_measured(self) -> list[tuple[int, Rep, AngleSource]]:
        """Reps measured since the last call: (index in the set from 0, the rep with its
        fused ROM, its source)."""
        out, self._new = self._new, []
        return out

    def _run(self, *, flush: bool) -> None:
        t, imu, fused, used = self.fusion.pop_with_imu(flush=flush)
        if t.size:
            self._t = np.concatenate((self._t, t))
            self._off = np.concatenate((self._off, fused - imu))
            self._used = np.concatenate((self._used, used))
        self._measure(flush=flush)

    def _measure(self, *, flush: bool) -> None:
        covered = float(self._t[-1]) if self._t.size else -np.inf
        while self._pending and (flush or covered >= self._pending[0].t_end):
            rep = self._pending.pop(0)
            where = rep_source(rep, self._t, self._used)
            fused = measured_rep(rep, self._t, self._off)
            self._new.append((len(self.reps_), fused, where))
            self.reps_.append(fused)
            self.rep_sources_.append(where)
        # only the samples from the oldest rep not yet measured (or the last one) on
        if self._t.size:
            since = self._pending[0].t_start if self._pending else \
                (self.reps_[-1].t_end if self.reps_ else -np.inf)
            keep = self._t >= since - 1.0
            self._t, self._off, self._used = self._t[keep], self._off[keep], self._used[keep]


def measured_rep(rep: Rep, t: np.ndarray, offset_deg: np.ndarray) -> Rep:
    """``rep`` with the fused angle's ROM and peak: the camera offset (fused − IMU) at its
    peak minus the one at its start is added (no fused samples: the rep as counted)."""
    if t.size == 0:
        return rep
    o0, o1 = np.interp([rep.t_start, rep.t_peak], t, offset_deg)
    return replace(rep, rom_deg=rep.rom_deg + float(o1 - o0),
                   peak_deg=rep.peak_deg + float(o1))
