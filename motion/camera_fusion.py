"""Camera + IMU on the same joint: the camera's drift-free level, the IMU's continuity.

Pure (numpy only). The IMU exercise angle is smooth and never hidden but drifts slowly
(gyro bias left after calibration, tilt errors); the camera angle has no drift but is
noisier, lags by its processing and vanishes when landmarks are hidden. The fused angle is

    fused(t) = imu(t) + offset(t)

where ``offset`` follows ``camera - imu`` through a first-order low-pass with time
constant ``tau_s`` while the camera sees the joint, and is held while it does not. So the
camera removes the drift (and any constant difference of zero between the two angle
conventions) and the IMU fills the frames the camera misses. ``tau_s`` is long compared
with a rep, so the camera's noise and small gain errors are averaged, and short compared
with drift (degrees per minute).

Streaming: IMU samples wait until the camera stream has reached their time (camera
samples are interpolated onto IMU times only between two frames at most ``max_frame_gap_s``
apart); if the camera falls more than ``max_wait_s`` behind, IMU samples go on alone.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from motion.pipeline import SetAnalyzer
from motion.types import Rep
from sensors.types import ImuChunk


class AngleSource(StrEnum):
    """Where a rep's ROM came from. Values reach payloads: never rename them."""

    CAMERA = "camera"  # camera-corrected at the rep's start and peak
    IMU = "imu"  # the camera did not see the joint during the rep (IMU with held offset)
    MIXED = "camera+imu"  # the camera saw part of the rep
    NONE = "none"  # camera-only set with the joint never seen (no reps possible)


class CameraImuFusion:
    """Push both angle streams (degrees, same sign convention); pop the fused stream.

    Results: ``offset_deg_`` (current camera − IMU offset, NaN until the camera is seen),
    ``camera_samples_`` (IMU samples fused with a camera value).
    """

    def __init__(self, *, tau_s: float = 5.0, max_frame_gap_s: float = 0.2,
                 max_wait_s: float = 0.5) -> None:
        if tau_s <= 0 or max_frame_gap_s <= 0 or max_wait_s < 0:
            raise ValueError("tau_s and max_frame_gap_s must be > 0, max_wait_s >= 0")
        self.tau_s = tau_s
        self.max_frame_gap_s = max_frame_gap_s
        self.max_wait_s = max_wait_s
        self._imu_t = np.empty(0)
        self._imu_a = np.empty(0)
        self._cam_t = np.empty(0)
        self._cam_a = np.empty(0)
        self._last_t: float | None = None
        self.offset_deg_ = float("nan")
        self.camera_samples_ = 0

    def push_imu(self, t_s: np.ndarray, angle_deg: np.ndarray) -> None:
        self._imu_t = np.concatenate((self._imu_t, np.asarray(t_s, float)))
        self._imu_a = np.concatenate((self._imu_a, np.asarray(angle_deg, float)))

    def push_camera(self, t_s: np.ndarray, angle_deg: np.ndarray) -> None:
        """Camera angles at frame times; NaN where the joint was not seen."""
        self._cam_t = np.concatenate((self._cam_t, np.asarray(t_s, float)))
        self._cam_a = np.concatenate((self._cam_a, np.asarray(angle_deg, float)))

    def pop(self, *, flush: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fused samples ready so far: times, angles, and a bool array 'camera used'."""
        if self._imu_t.size == 0:
            return np.empty(0), np.empty(0), np.zeros(0, bool)
        cam_end = self._cam_t[-1] if self._cam_t.size else -np.inf
        ready_to = max(cam_end, self._imu_t[-1] - self.max_wait_s)
        n = self._imu_t.size if flush else int(np.searchsorted(self._imu_t, ready_to, "right"))
        t, imu = self._imu_t[:n], self._imu_a[:n]
        self._imu_t, self._imu_a = self._imu_t[n:], self._imu_a[n:]
        cam = camera_on(t, self._cam_t, self._cam_a, self.max_frame_gap_s)
        fused, used = self._fuse(t, imu, cam)
        # Keep the last camera frame at or before the last popped sample (for interpolation).
        if n and self._cam_t.size:
            keep = max(int(np.searchsorted(self._cam_t, t[-1], "right")) - 1, 0)
            self._cam_t, self._cam_a = self._cam_t[keep:], self._cam_a[keep:]
        return t, fused, used

    def _fuse(self, t: np.ndarray, imu: np.ndarray, cam: np.ndarray):
        fused = np.empty_like(imu)
        used = np.isfinite(cam) & np.isfinite(imu)
        off = self.offset_deg_
        last = self._last_t
        for i in range(t.shape[0]):
            if used[i]:
                d = cam[i] - imu[i]
                if not np.isfinite(off):
                    off = d
                else:
                    dt = t[i] - last if last is not None else 0.0
                    off += min(1.0, max(dt, 0.0) / self.tau_s) * (d - off)
            fused[i] = imu[i] + (off if np.isfinite(off) else 0.0)
            last = float(t[i])
        self.offset_deg_, self._last_t = off, last
        self.camera_samples_ += int(used.sum())
        return fused, used


def camera_on(t: np.ndarray, cam_t: np.ndarray, cam_a: np.ndarray,
              max_frame_gap_s: float) -> np.ndarray:
    """Camera angle interpolated onto times ``t``; NaN where no two seen frames at most
    ``max_frame_gap_s`` apart bracket the time."""
    out = np.full(t.shape, np.nan)
    ok = np.isfinite(cam_a)
    ct, ca = cam_t[ok], cam_a[ok]
    if ct.size == 0 or t.size == 0:
        return out
    j = np.searchsorted(ct, t, "right")
    exact = (j > 0) & (ct[np.clip(j - 1, 0, ct.size - 1)] == t)
    inside = (j > 0) & (j < ct.size)
    jj = np.clip(j, 1, max(ct.size - 1, 1))
    if ct.size > 1:
        t0, t1 = ct[jj - 1], ct[jj]
        span_ok = inside & ((t1 - t0) <= max_frame_gap_s)
        w = np.where(span_ok, (t - t0) / np.where(t1 > t0, t1 - t0, 1.0), 0.0)
        out = np.where(span_ok, ca[jj - 1] + w * (ca[jj] - ca[jj - 1]), np.nan)
    out = np.where(exact, ca[np.clip(j - 1, 0, ct.size - 1)], out)
    return out


def rep_source(rep: Rep, t: np.ndarray, used: np.ndarray) -> AngleSource:
    """Which source the rep's ROM (start → peak) came from."""
    if t.size == 0:
        return AngleSource.IMU
    sel = (t >= rep.t_start) & (t <= rep.t_peak)
    if not sel.any():
        sel = np.abs(t - rep.t_peak) == np.min(np.abs(t - rep.t_peak))
    frac = float(used[sel].mean())
    if frac >= 0.999:
        return AngleSource.CAMERA
    if frac <= 0.0:
        return AngleSource.IMU
    return AngleSource.MIXED


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
