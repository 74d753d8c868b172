"""Streaming, causal repetition detector on an angle signal (prominence hysteresis).

A rep is rest → up → (hold) → down → rest:
1. *rise*: the angle climbs ``prominence`` above the lowest point since the last rep;
2. *top*: the highest point is tracked until the angle falls ``prominence`` below it;
3. *end*: the angle keeps falling; once it is back below half of the excursion and has
   stopped making new lows for ``settle_s`` (or turns up again), the rep is confirmed and
   emitted with its measurements. A dip that stays above half way and climbs again by a
   full prominence is part of the same rep (a patient re-lifting during the hold).

The prominence adapts to the set: ``prominence_frac`` of the reference ROM (the target
when prescribed, else the median of the reps so far), never below ``min_prominence_deg``.
Each emitted rep is final: later samples never change it.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

import numpy as np

_BASE, _RISE, _DESC = 0, 1, 2


@dataclass(frozen=True, slots=True)
class RepShape:
    """Measurements of one rep, before quality rules are applied."""

    t_start: float
    t_peak: float
    t_end: float
    t_detected: float
    start_deg: float
    peak_deg: float
    end_deg: float
    rom_deg: float
    hold_s: float
    up_s: float
    down_s: float
    max_gap_s: float
    gap_s: float


def measure_rep(t: np.ndarray, a: np.ndarray, i_valley: int, i_peak: int, i_low: int,
                t_detected: float, *, onset_frac: float = 0.05, top_frac: float = 0.08,
                nominal_dt_s: float) -> RepShape:
    """Times and sizes of a rep from its samples (valley .. low after the peak)."""
    v, p, e = float(a[i_valley]), float(a[i_peak]), float(a[i_low])
    exc = p - v
    rise = a[i_valley : i_peak + 1]
    below = np.flatnonzero(rise <= v + onset_frac * exc)
    i_start = i_valley + int(below[-1]) if below.size else i_valley
    thr = p - top_frac * max(exc, p - e)
    top = np.flatnonzero(a[i_start : i_low + 1] >= thr) + i_start
    i_in, i_out = int(top[0]), int(top[-1])
    fall = a[i_out : i_low + 1]
    back = np.flatnonzero(fall <= e + onset_frac * (p - e))
    i_end = i_out + int(back[0]) if back.size else i_low
    dts = np.diff(t[i_start : i_end + 1])
    gaps = dts[dts > 1.5 * nominal_dt_s]
    return RepShape(
        t_start=float(t[i_start]), t_peak=float(t[i_peak]), t_end=float(t[i_end]),
        t_detected=t_detected, start_deg=v, peak_deg=p, end_deg=e, rom_deg=exc,
        hold_s=float(t[i_out] - t[i_in]), up_s=float(t[i_in] - t[i_start]),
        down_s=float(t[i_end] - t[i_out]),
        max_gap_s=float(dts.max()) if dts.size else 0.0,
        gap_s=float(np.sum(gaps - nominal_dt_s)) if gaps.size else 0.0,
    )


class RepDetector:
    """Feed (t, angle) chunks; get finished reps (:class:`RepShape`) back."""

    def __init__(
        self,
        rate_hz: float,
        *,
        reference_rom_deg: float | None = None,
        min_prominence_deg: float = 4.0,
        initial_prominence_deg: float = 8.0,
        prominence_frac: float = 0.3,
        settle_s: float = 0.2,
    ) -> None:
        self.dt_s = 1.0 / float(rate_hz)
        self.reference_rom_deg = reference_rom_deg
        self.min_prominence_deg = min_prominence_deg
        self.initial_prominence_deg = initial_prominence_deg
        self.prominence_frac = prominence_frac
        self.settle_s = settle_s
        self._roms: list[float] = []
        self._t: list[float] = []
        self._a: list[float] = []
        self._state = _BASE
        self._iv = self._ip = self._il = 0
        self._last_low_t = 0.0
        self.prominence_deg_ = self._prominence()

    def _prominence(self) -> float:
        ref = self.reference_rom_deg
        if ref is None and self._roms:
            ref = median(self._roms[-5:])
        if ref is None:
            return max(self.min_prominence_deg, self.initial_prominence_deg)
        return max(self.min_prominence_deg, self.prominence_frac * ref)

    def process(self, t_s: np.ndarray, angle_deg: np.ndarray, now_s: float | None = None
                ) -> list[RepShape]:
        out: list[RepShape] = []
        tl, al = self._t, self._a
        base = len(tl)
        tl.extend(t_s.tolist())
        al.extend(angle_deg.tolist())
        P = self.prominence_deg_
        state, iv, ip, il = self._state, self._iv, self._ip, self._il
        last_low_t = self._last_low_t
        for i in range(base, len(al)):
            x = al[i]
            if state == _BASE:
                if x < al[iv]:
                    iv = i
                elif x >= al[iv] + P:
                    state, ip = _RISE, i
            elif state == _RISE:
                if x > al[ip]:
                    ip = i
                elif x <= al[ip] - P:
                    state, il, last_low_t = _DESC, i, tl[i]
            else:
                v, p, e = al[iv], al[ip], al[il]
                exc = p - v
                if x < e - max(0.2, 0.02 * exc):
                    il, last_low_t = i, tl[i]
                    continue
                if x < e:
                    il = i
                half_done = e <= v + 0.5 * exc
                if not half_done:
                    if x >= e + P:  # climbed again before coming down: same rep
                        state = _RISE
                        if x > p:
                            ip = i
                    continue
                if x >= e + max(1.0, 0.08 * exc) or tl[i] - last_low_t >= self.settle_s:
                    t_det = tl[i] if now_s is None else max(tl[i], now_s)
                    shape = measure_rep(np.asarray(tl[iv : i + 1]), np.asarray(al[iv : i + 1]),
                                        0, ip - iv, il - iv, t_det, nominal_dt_s=self.dt_s)
                    out.append(shape)
                    self._roms.append(shape.rom_deg)
                    P = self.prominence_deg_ = self._prominence()
                    # The low after this rep is the valley candidate for the next one.
                    state, iv = _BASE, il
                    # Re-check this sample against the new valley.
                    if x >= al[iv] + P:
                        state, ip = _RISE, i
        # Drop history no open rep can need (everything before the current valley).
        if iv > 0:
            del tl[:iv], al[:iv]
            ip, il = max(ip - iv, 0), max(il - iv, 0)
            iv = 0
        self._state, self._iv, self._ip, self._il = state, iv, ip, il
        self._last_low_t = last_low_t
        return out

    def finish(self, now_s: float | None = None) -> list[RepShape]:
        """End of stream: a rep that came down at least half way is emitted as it stands."""
        if self._state != _DESC:
            return []
        al, tl = self._a, self._t
        v, p, e = al[self._iv], al[self._ip], al[self._il]
        if e > v + 0.5 * (p - v):
            return []
        t_det = tl[-1] if now_s is None else max(tl[-1], now_s)
        shape = measure_rep(np.asarray(tl), np.asarray(al), self._iv, self._ip, self._il,
                            t_det, nominal_dt_s=self.dt_s)
        self._state = _BASE
        return [shape]
