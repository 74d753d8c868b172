"""Camera + IMU on the same joint: the camera's drift-free level, the IMU's continuity.

Pure (numpy only): the fusion filter and its helpers. The set that feeds it and the rep
detector (:class:`~motion.camera_set.CameraImuSet`) lives in :mod:`motion.camera_set`. The IMU exercise angle is smooth and never hidden but drifts slowly
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
Only the fused ROM waits (a rep is counted on the IMU at once:
:class:`~motion.camera_set.CameraImuSet`), so the wait may be long: a live pose model on a
busy core delivers its frames late (``bench.kiosk --pinned-only``: 0.1-0.3 s at load 5-10,
up to 0.7 s when its threads get less of the core), and a set
that lets the wearable run at most ``max_wait_s`` ahead of the camera
(``therapy.session``) then never holds the wearable's samples, so never its count.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from motion.types import Rep

# How far (data time) the IMU may run ahead of the camera before its samples are fused
# without it. It was 0.5 s: a pose model on a contended core lagging more than that made the
# session hold the wearable's samples for the camera, and the count with them (the fused
# rep delay, issue 15). 2 s covers the lags seen; only a rep's fused ROM waits that long.
MAX_WAIT_S = 2.0


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
                 max_wait_s: float = MAX_WAIT_S) -> None:
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
        t, _imu, fused, used = self.pop_with_imu(flush=flush)
        return t, fused, used

    def pop_with_imu(self, *, flush: bool = False) -> tuple[np.ndarray, np.ndarray,
                                                             np.ndarray, np.ndarray]:
        """As :meth:`pop`, with the IMU angles the fused ones came from (times, IMU, fused,
        'camera used')."""
        if self._imu_t.size == 0:
            return np.empty(0), np.empty(0), np.empty(0), np.zeros(0, bool)
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
        return t, imu, fused, used

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
