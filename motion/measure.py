"""Measurements of one rep from its samples: start, peak, end, ROM, hold, tempo.

Pure functions over the samples the rep detector kept (valley .. low after the peak).

The hold is measured as a patient experiences it: the time the limb stays near the
level it holds at the top (no more than ``max(hold_band_deg, hold_band_frac x
excursion)`` below it), so the settling after the lift, an overshoot, a wobble and the
slow start of the lowering are all part of the hold, and so is a slow sag that stays
near the level. A peak the limb turns straight round at has no plateau, and a hold of a
few tenths of a second (the time the lift and the lowering take to cross the band).
"""

# The arrays here are a rep long (a few hundred samples): array methods (``.nonzero()``,
# ``.argmax()``, ``.searchsorted()``) rather than numpy's module functions, which add a
# Python-level wrapper or two per call (480 reps an hour).

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from motion.stats import median_array

# How far below the level held at the top the limb may be and still be holding there.
HOLD_BAND_DEG = 2.0
HOLD_BAND_FRAC = 0.1  # of the rep's excursion


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


def _speed(t: np.ndarray, a: np.ndarray, width_s: float) -> np.ndarray:
    """Angular speed (°/s), centred difference over about ``width_s``."""
    n = a.shape[0]
    dt = median_array(t[1:] - t[:-1]) if n > 1 else 1.0
    k = max(1, int(round(width_s / dt / 2)))
    if n <= 2 * k:
        return np.abs(np.gradient(a, t)) if n > 1 else np.zeros(n)
    sp = np.empty(n)
    sp[k:-k] = np.abs(a[2 * k :] - a[: -2 * k]) / np.maximum(t[2 * k :] - t[: -2 * k], 1e-9)
    sp[:k], sp[-k:] = sp[k], sp[-k - 1]
    return sp


def _longest_run(ok: np.ndarray) -> tuple[int, int]:
    """First and last index of the longest run of True in ``ok`` (the first if tied)."""
    padded = np.zeros(ok.shape[0] + 2, np.bool_)  # (np.diff with prepend costs 3x this)
    padded[1:-1] = ok
    edges = (padded[1:] != padded[:-1]).nonzero()[0]
    if edges.size == 0:
        return 0, -1
    starts, stops = edges[::2], edges[1::2]
    k = int((stops - starts).argmax())
    return int(starts[k]), int(stops[k]) - 1


def hold_plateau(a: np.ndarray, band_deg: float, iterations: int = 3
                 ) -> tuple[int, int, float]:
    """The hold in the top part ``a`` of a rep: (first, last) index and its level.

    The level starts at the median of ``a`` and becomes the median of the longest run of
    samples no more than ``band_deg`` below it, up to ``iterations`` times: on a plateau
    it stays the plateau's level (an overshoot or the edges of the lift and the lowering
    do not move a median); on a peak turned straight round it climbs towards ``band_deg``
    under the peak, so the run shrinks to the time the angle spends within about twice
    the band of the peak. Everything above the level counts as holding: an overshoot at
    the end of the lift is the patient arriving. A sag stays a hold while it loses no
    more than about twice the band (the level is its middle).
    """
    level = median_array(a)
    k0 = k1 = -1
    for _ in range(iterations):
        j0, j1 = _longest_run(a >= level - band_deg)
        if j0 == k0 and j1 == k1:  # same run, same level: settled
            break
        k0, k1 = j0, j1
        level = median_array(a[k0 : k1 + 1])
    return k0, k1, level


def measure_rep(t: np.ndarray, a: np.ndarray, i_valley: int, i_peak: int, i_low: int,
                t_detected: float, *, nominal_dt_s: float, onset_frac: float = 0.05,
                still_frac: float = 0.1, speed_window_s: float = 0.2,
                level_window_s: float = 0.5, hold_band_deg: float = HOLD_BAND_DEG,
                hold_band_frac: float = HOLD_BAND_FRAC) -> RepShape:
    """Times and sizes of a rep from its samples (valley .. low after the peak).

    Start and end are where the angle leaves and regains (within ``onset_frac`` of the
    excursion) the rest levels. The hold is the longest stretch of the rep's upper half
    that stays within ``max(hold_band_deg, hold_band_frac x excursion)`` below the level
    held there (:func:`hold_plateau`) — 10 % is also how far short of a prescribed ROM a
    rep still counts as reaching it. The top level is the median over the hold; the ROM
    is that minus the rest level before the lift. The tempo (``up_s``, ``down_s``) runs
    from the start to where the lift slows under ``still_frac`` of its top speed, and
    from where the lowering passes ``still_frac`` of its top speed to the end: the
    movement itself, without the slow approach to the top that the hold already counts.
    """
    v, p, e = float(a[i_valley]), float(a[i_peak]), float(a[i_low])
    exc = p - v
    rise = a[i_valley : i_peak + 1]
    below = (rise <= v + onset_frac * exc).nonzero()[0]
    i_start = i_valley + int(below[-1]) if below.size else i_valley
    fall = a[i_peak : i_low + 1]
    back = (fall <= e + onset_frac * (p - e)).nonzero()[0]
    i_end = i_peak + int(back[0]) if back.size else i_low
    # Upper half of the rep: from the first crossing on the way up to the last on the way down.
    upper = (a[i_start : i_end + 1] >= v + 0.5 * exc).nonzero()[0] + i_start
    i_hi0, i_hi1 = int(upper[0]), int(upper[-1])
    sp = _speed(t[i_start : i_end + 1], a[i_start : i_end + 1], speed_window_s)
    sp_up = sp[: i_hi0 - i_start + 1]
    sp_dn = sp[i_hi1 - i_start :]
    top = sp[i_hi0 - i_start : i_hi1 - i_start + 1]
    up_thr = still_frac * float(sp_up.max()) if sp_up.size else 0.0
    dn_thr = still_frac * float(sp_dn.max()) if sp_dn.size else 0.0
    # Tempo: the lift ends where it slows under ``still_frac`` of its top speed, the
    # lowering starts where it passes ``still_frac`` of its own.
    slow_up = (top < up_thr).nonzero()[0]
    slow_dn = (top < dn_thr).nonzero()[0]
    if slow_up.size and slow_dn.size and slow_dn[-1] >= slow_up[0]:
        i_in, i_out = i_hi0 + int(slow_up[0]), i_hi0 + int(slow_dn[-1])
    else:  # no still moment at the top: it turned straight round at the peak
        i_in = i_out = i_peak
    dts = t[i_start + 1 : i_end + 1] - t[i_start:i_end]
    gaps = dts[dts > 1.5 * nominal_dt_s]
    # Rest level: the still samples before the lift gets going (speed under the same
    # threshold that ends the lift), over up to ``level_window_s``.
    moving = (sp[: i_hi0 - i_start + 1] >= up_thr).nonzero()[0]
    i_move = i_start + int(moving[0]) if moving.size else i_start
    rest0 = int(t[: i_move + 1].searchsorted(t[i_move] - level_window_s))  # t increases
    base = a[rest0 : i_move + 1]
    base = base[base <= v + onset_frac * exc]
    start_level = median_array(base) if base.size else v
    # Hold and top level: the plateau of the upper half.
    band = max(hold_band_deg, hold_band_frac * exc)
    k0, k1, level = hold_plateau(a[i_hi0 : i_hi1 + 1], band)
    h_in, h_out = i_hi0 + k0, i_hi0 + k1
    top_level = level if h_out > h_in else p
    return RepShape(
        t_start=float(t[i_start]), t_peak=float(t[i_peak]), t_end=float(t[i_end]),
        t_detected=t_detected, start_deg=start_level, peak_deg=p, end_deg=e,
        rom_deg=top_level - start_level,
        hold_s=float(t[h_out] - t[h_in]), up_s=float(t[i_in] - t[i_start]),
        down_s=float(t[i_end] - t[i_out]),
        max_gap_s=float(dts.max()) if dts.size else 0.0,
        gap_s=float(np.sum(gaps - nominal_dt_s)) if gaps.size else 0.0,
    )
