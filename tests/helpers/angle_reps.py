"""Reps as an angle signal for the rep detector's tests: raised-cosine lifts of given ROMs."""

from __future__ import annotations

import numpy as np


def raised_cosine_reps(rom_deg: list[float], rate_hz: float, rest_s: float = 2.0,
                       rep_s: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """(t, angle): 1 s of rest at 0°, then reps of ``rom_deg`` (a raised cosine of ``rep_s``
    each), ``rest_s`` of rest after each."""
    dt = 1.0 / rate_hz
    t, a, t0 = [np.arange(0.0, 1.0, dt)], [np.zeros(int(round(rate_hz)))], 1.0
    for rom in rom_deg:
        tt = np.arange(0.0, rep_s, dt)
        t.append(t0 + tt)
        a.append(rom * 0.5 * (1 - np.cos(2 * np.pi * tt / rep_s)))
        t.append(t0 + rep_s + np.arange(0.0, rest_s, dt))
        a.append(np.zeros(len(t[-1])))
        t0 += rep_s + rest_s
    return np.concatenate(t), np.concatenate(a)
