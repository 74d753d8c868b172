"""The whole streaming path from IMU chunks to reps — the code the kiosk and replay share.

bias (still periods) → imufusion orientation → exercise angle (one segment or a joint)
→ causal median despike → rep detector → quality flags. Everything is causal: a rep is
emitted once, when its last sample arrives, and later samples never change it, so
cutting a stream short keeps every rep detected before the cut.
"""

from __future__ import annotations

import logging

import numpy as np

from motion.angle import JointAngle, SegmentAngle
from motion.bias import GyroBiasEstimator, TiltBiasObserver
from motion.despike import CausalMedian
from motion.fusion import OrientationTracker
from motion.measure import RepShape
from motion.period import PeriodEstimator
from motion.quality import QualityJudge, QualityRules
from motion.reps import RepDetector
from motion.stats import steps
from motion.types import Rep
from sensors.types import STANDARD_GRAVITY_M_S2, ImuChunk

_LOG = logging.getLogger(__name__)

GAP_MIN_S = 0.1  # a hole in the data shorter than this (a dropped sample or two) is not a gap
# Therapy movements lie below ~5 Hz: above this rate, groups of samples are merged before
# fusion (gyro averaged = the same integrated rotation to first order; accel averaged = a box
# anti-alias filter, first null at 25 Hz), so a 200 Hz wearable costs what a 25 Hz one does.
# 25 Hz is the rate the UCI-PT recordings were made at; rep times are then 40 ms apart at most
# (holds and tempos are reported to 0.1 s). Measured against merging down to 50 Hz: replay
# costs about half; simulator ROM RMSE one IMU 0.40° either way, two IMUs 0.72° vs 0.64°
# (targets 0.5° and 1.5°; bench.accuracy).
MAX_PROCESS_HZ = 25.0


class MotionError(Exception):
    """Root of the motion core's errors (bad input a caller must fix)."""


class _Imu:
    """Bias + fusion for one sensor: still-period bias, then the tilt observer on top.

    The observer works in blocks of ``block_s`` counted from the first sample, so the
    result does not depend on how the stream is chunked.
    """

    def __init__(self, rate_hz: float, *, block_s: float = 2.0) -> None:
        self.bias = GyroBiasEstimator(rate_hz)
        self.fusion = OrientationTracker(rate_hz)
        self.observer = TiltBiasObserver(self.fusion.gain)
        self._block_n = max(1, int(round(block_s * rate_hz)))
        self._seen = 0

    def up(self, chunk: ImuChunk) -> tuple[np.ndarray, np.ndarray]:
        """Bias-corrected gyro and fused up vector for each sample of ``chunk``.

        Fusion runs over as many samples at a time as it can: it has to stop at the end
        of a block only when the observer may change its correction there, i.e. when the
        block was slow throughout and not measured. Same numbers as block by block.
        """
        n = len(chunk)
        accel = chunk.accel_m_s2
        gyro = chunk.gyro_rad_s - self.bias.process(chunk.gyro_rad_s, accel)
        obs, B = self.observer, self._block_n
        up = np.empty((n, 3))
        fused = 0  # samples [0, fused) are fused
        # The blocks this chunk ends or reaches into, and whether the bias was measured in
        # each (one reduceat for the ~40 blocks of a replay step, not a call per block).
        stops = [*range(B - self._seen % B, n, B), n]
        starts = [0, *stops[:-1]]
        measured = np.logical_or.reduceat(self.bias.measuring_, starts).tolist()
        for start, stop, was_measured in zip(starts, stops, measured):
            if obs.correcting_:
                gyro[start:stop] -= obs.correction_rad_s_
            if was_measured:
                obs.mark_measured()
            if obs.listening:
                self._fuse(chunk, gyro, up, fused, stop)
                fused = stop
                obs.add(gyro[start:stop], accel[start:stop], up[start:stop])
            if (self._seen + stop) % B == 0:
                obs.close_block()
        self._fuse(chunk, gyro, up, fused, n)
        self._seen += n
        return gyro, up

    def _fuse(self, chunk: ImuChunk, gyro: np.ndarray, up: np.ndarray, a: int, b: int) -> None:
        if b > a:
            q = self.fusion.update(chunk.t_s[a:b], gyro[a:b], chunk.accel_m_s2[a:b])
            up[a:b] = self.fusion.gravity(q)


class SetAnalyzer:
    """Feed IMU chunks of one set; get :class:`~motion.types.Rep` s as they complete.

    Results live in attributes ending in ``_``: ``reps_``, ``angle_deg_`` (latest angle),
    ``samples_``, ``gaps_`` and ``gap_s_`` (holes longer than 0.1 s and their total
    length), ``rejected_`` (samples with non-finite values or time not moving forward,
    skipped and counted).
    """

    def __init__(
        self,
        rate_hz: float,
        *,
        target_rom_deg: float | None = None,
        target_hold_s: float | None = None,
        target_tempo_s: float | None = None,
        two_imu: bool = False,
        lifts: bool | None = None,
        rules: QualityRules = QualityRules(),
    ) -> None:
        if not (rate_hz > 0 and np.isfinite(rate_hz)):
            raise MotionError(f"rate_hz must be a positive number, got {rate_hz!r}")
        self.rate_hz = float(rate_hz)
        self.two_imu = two_imu
        self.decimation = max(1, int(self.rate_hz // MAX_PROCESS_HZ))
        self.process_rate_hz = self.rate_hz / self.decimation
        prate = self.process_rate_hz
        self._distal = _Imu(prate)
        self._proximal = _Imu(prate) if two_imu else None
        self._pending: list[ImuChunk] = []
        # ``lifts``: the exercise raises the measured segment (False: a forward trunk bend;
        # None: not known, the rest pose tells, motion.angle.rest_lift_sign).
        self._angle = (JointAngle(prate, lifts=lifts) if two_imu
                       else SegmentAngle(prate, lifts=lifts, target_rom_deg=target_rom_deg))
        self._median = CausalMedian(5)
        self._detector = RepDetector(prate, reference_rom_deg=target_rom_deg)
        # The set's period from the distal sensor's six channels (the whole movement).
        self._period = PeriodEstimator(prate)
        self._judge = QualityJudge(
            target_rom_deg=target_rom_deg,
            target_hold_s=target_hold_s,
            target_tempo_s=target_tempo_s,
            rules=rules,
        )
        self._gap_min_s = max(GAP_MIN_S, 2.5 / self.rate_hz)
        self._last_t: float | None = None
        self.reps_: list[Rep] = []
        self.angle_deg_ = 0.0
        self.angle_t_s_: np.ndarray = np.empty(0)
        self.angle_trace_deg_: np.ndarray = np.empty(0)
        self.samples_ = 0
        self.gaps_ = 0
        self.gap_s_ = 0.0
        self.rejected_ = 0

    @property
    def pending_reps_(self) -> int:
        """Reps seen but not yet counted: the set opens, and counts them, with the next
        alike rep (a rep under 70 % of a prescribed ROM waits for a second; motion.reps)."""
        return self._detector.pending_reps_

    def feed(self, chunk: ImuChunk, proximal: ImuChunk | None = None) -> list[Rep]:
        """Process one chunk (and its sample-aligned proximal chunk in two-IMU mode)."""
        if self.two_imu:
            if proximal is None or len(proximal) != len(chunk):
                raise MotionError("two-IMU mode needs a proximal chunk aligned to each chunk")
        chunk, proximal = self._clean(chunk, proximal)
        n = len(chunk)
        if n == 0:
            return []
        self._count_gaps(chunk.t_s)
        self.samples_ += n
        if self.decimation > 1:
            chunk, proximal = self._merge(chunk, proximal)
            if len(chunk) == 0:
                return []
        gyro_d, up_d = self._distal.up(chunk)
        self._detector.add_periods(self._period.add(
            np.hstack((gyro_d, chunk.accel_m_s2 / STANDARD_GRAVITY_M_S2))))
        if self._proximal is not None and proximal is not None:
            gyro_p, up_p = self._proximal.up(proximal)
            t, angle = self._angle.process(  # type: ignore[call-arg]
                chunk.t_s, gyro_d, up_d, chunk.accel_m_s2, gyro_p, up_p)
        else:
            t, angle = self._angle.process(  # type: ignore[call-arg]
                chunk.t_s, gyro_d, up_d, chunk.accel_m_s2)
        return self._detect(t, angle, now_s=float(chunk.t_s[-1]))

    def feed_angle(self, t_s: np.ndarray, angle_deg: np.ndarray) -> list[Rep]:
        """Feed an exercise angle measured elsewhere (a camera, a goniometer), degrees.

        The same despike, rep detector and quality rules as for IMU chunks: one detector
        for every sensor. Positive must be the movement the patient is asked to make.
        Non-finite angles (landmarks not visible) are skipped and counted in ``rejected_``.
        """
        t_s = np.asarray(t_s, float)
        angle_deg = np.asarray(angle_deg, float)
        ok = np.isfinite(t_s) & np.isfinite(angle_deg)
        if self._last_t is not None:
            ok &= t_s > self._last_t
        if not ok.all():
            keep = np.flatnonzero(ok)
            keep = keep[np.concatenate(([True], np.diff(t_s[keep]) > 0))] if keep.size else keep
            self.rejected_ += int(t_s.shape[0] - keep.size)
            t_s, angle_deg = t_s[keep], angle_deg[keep]
        if t_s.shape[0] == 0:
            return []
        self._count_gaps(t_s)
        self.samples_ += int(t_s.shape[0])
        return self._detect(t_s, angle_deg, now_s=float(t_s[-1]))

    def finish(self) -> list[Rep]:
        """End of the stream: a rep already most of the way down is emitted.

        If the set is counting (reps came out), the samples the angle still holds are
        measured first with what is known (:meth:`SegmentAngle.flush`): the set's last
        reps were in them. If nothing has counted, the held samples are dropped: the end
        of a stream says nothing about the movement, and a rest's last moves released by
        it counted as reps (bench.accuracy's rest rows: 2-3 in 5 of 16 fidgeting rests).
        """
        now = self._last_t
        reps: list[Rep] = []
        if self.reps_:
            t, angle = self._angle.flush()
            reps = self._detect(t, angle, now_s=now if now is not None else 0.0)
        return reps + self._emit(self._detector.finish(now))

    def _detect(self, t: np.ndarray, angle: np.ndarray, now_s: float) -> list[Rep]:
        if t.shape[0] == 0:
            return []
        smooth = self._median.process(angle)
        self.angle_t_s_, self.angle_trace_deg_ = t, smooth
        self.angle_deg_ = float(smooth[-1])
        # Reps found in samples released late (held until the axis was known) are
        # detected now, not at their sample time.
        late = now_s if t[-1] < now_s else None
        return self._emit(self._detector.process(t, smooth, now_s=late))

    def _emit(self, shapes: list[RepShape]) -> list[Rep]:
        new: list[Rep] = []
        for s in shapes:
            rep = Rep(
                n=len(self.reps_) + 1,
                t_start=s.t_start,
                t_peak=s.t_peak,
                t_end=s.t_end,
                t_detected=s.t_detected,
                rom_deg=s.rom_deg,
                hold_s=s.hold_s,
                up_s=s.up_s,
                down_s=s.down_s,
                peak_deg=s.peak_deg,
                flags=self._judge.judge(s),
                gap_s=s.gap_s,
                extra={"start_deg": s.start_deg, "end_deg": s.end_deg},
            )
            self.reps_.append(rep)
            new.append(rep)
            _LOG.debug("rep %d: rom %.1f° hold %.1fs flags %s", rep.n, rep.rom_deg, rep.hold_s,
                       ",".join(rep.flags) or "-")
        return new

    def _merge(self, chunk: ImuChunk, proximal: ImuChunk | None):
        """Merge groups of ``decimation`` samples, counted from the first sample."""
        k = self.decimation
        if self._pending:
            chunk = ImuChunk.concat([self._pending[0], chunk])
            if proximal is not None:
                proximal = ImuChunk.concat([self._pending[1], proximal])
        m = len(chunk) - len(chunk) % k
        self._pending = [chunk.slice(m, len(chunk))]
        if proximal is not None:
            self._pending.append(proximal.slice(m, len(proximal)))
        if len(self._pending[0]) == 0:
            self._pending = []
        return _group(chunk.slice(0, m), k), (
            _group(proximal.slice(0, m), k) if proximal is not None else None)

    def _clean(self, chunk: ImuChunk, proximal: ImuChunk | None):
        """Drop samples with non-finite values or time not moving forward (counted)."""
        t = chunk.t_s
        # Fast path: a finite sum means every value is finite (NaN and inf propagate).
        total = t.sum() + chunk.accel_m_s2.sum() + chunk.gyro_rad_s.sum()
        if proximal is not None:
            total += proximal.accel_m_s2.sum() + proximal.gyro_rad_s.sum()
        if np.isfinite(total):
            prev = self._last_t
            if prev is None or t[0] > prev:
                if t.shape[0] < 2 or bool((t[1:] > t[:-1]).all()):
                    return chunk, proximal
        ok = np.isfinite(t) & np.isfinite(chunk.accel_m_s2).all(1) & np.isfinite(chunk.gyro_rad_s).all(1)
        if proximal is not None:
            ok &= np.isfinite(proximal.accel_m_s2).all(1) & np.isfinite(proximal.gyro_rad_s).all(1)
        # Slow path: keep a strictly increasing, finite subsequence.
        keep = np.zeros(len(chunk), bool)
        last = -np.inf if self._last_t is None else self._last_t
        for i in np.flatnonzero(ok).tolist():
            if t[i] > last:
                keep[i], last = True, float(t[i])
        self.rejected_ += int(len(chunk) - keep.sum())
        idx = np.flatnonzero(keep)
        return _take(chunk, idx), (_take(proximal, idx) if proximal is not None else None)

    def _count_gaps(self, t: np.ndarray) -> None:
        prev = self._last_t if self._last_t is not None else t[0]
        dt = steps(t, prev)
        big = dt[dt > self._gap_min_s]
        if big.size:
            self.gaps_ += int(big.size)
            self.gap_s_ += float(np.sum(big - 1.0 / self.rate_hz))
        self._last_t = float(t[-1])


def _group(chunk: ImuChunk, k: int) -> ImuChunk:
    """Average consecutive groups of ``k`` samples; each group takes its last time."""
    n = len(chunk) // k
    return ImuChunk(chunk.t_s[k - 1 :: k][:n].copy(), _group_mean(chunk.accel_m_s2, n, k),
                    _group_mean(chunk.gyro_rad_s, n, k))


def _group_mean(x: np.ndarray, n: int, k: int) -> np.ndarray:
    # Strided adds in sample order: the same sums as reshape(n, k, 3).sum(axis=1), at a
    # third of the cost on the parser's column views.
    out = x[0 : n * k : k].copy()
    for j in range(1, k):
        out += x[j : n * k : k]
    out /= k
    return out


def _take(chunk: ImuChunk, idx: np.ndarray) -> ImuChunk:
    mag = chunk.mag[idx] if chunk.mag is not None else None
    return ImuChunk(chunk.t_s[idx], chunk.accel_m_s2[idx], chunk.gyro_rad_s[idx], mag)


class PairAligner:
    """Puts a proximal stream onto the distal stream's sample times (two-IMU mode).

    Push chunks from either sensor as they arrive; :meth:`pop` returns the distal samples
    the proximal stream already covers, with the proximal linearly interpolated onto
    their times. Distal samples before the first proximal sample take its first value.
    """

    def __init__(self) -> None:
        self._d: list[ImuChunk] = []
        self._p: ImuChunk | None = None

    def push_distal(self, chunk: ImuChunk) -> None:
        self._d.append(chunk)

    def push_proximal(self, chunk: ImuChunk) -> None:
        self._p = chunk if self._p is None else ImuChunk.concat([self._p, chunk])

    def pop(self, *, flush: bool = False) -> tuple[ImuChunk, ImuChunk] | None:
        if not self._d or self._p is None or len(self._p) == 0:
            return None
        d = ImuChunk.concat(self._d)
        p = self._p
        upto = len(d) if flush else int(np.searchsorted(d.t_s, p.t_s[-1], side="right"))
        if upto == 0:
            self._d = [d]
            return None
        out_d = d.slice(0, upto)
        self._d = [d.slice(upto, len(d))] if upto < len(d) else []
        tp = out_d.t_s
        acc = np.column_stack([np.interp(tp, p.t_s, p.accel_m_s2[:, k]) for k in range(3)])
        gyr = np.column_stack([np.interp(tp, p.t_s, p.gyro_rad_s[:, k]) for k in range(3)])
        # Keep the proximal samples still needed for the next interpolation.
        keep_from = max(int(np.searchsorted(p.t_s, tp[-1], side="right")) - 1, 0)
        self._p = p.slice(keep_from, len(p))
        return out_d, ImuChunk(tp.copy(), acc, gyr)


def align_pair(distal: ImuChunk, proximal: ImuChunk) -> tuple[ImuChunk, ImuChunk]:
    """Whole-recording version of :class:`PairAligner` (replay of two files)."""
    aligner = PairAligner()
    aligner.push_distal(distal)
    aligner.push_proximal(proximal)
    got = aligner.pop(flush=True)
    if got is None:
        raise MotionError("the proximal recording holds no samples")
    return got
