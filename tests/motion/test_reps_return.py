"""A rep goes and comes back: a rise that settles at a new level never was one.

UCI-PT s2 e4 (side-lying hip abduction): after the fast reps the leg settled 18° higher
over a few seconds, held there and jerked once; the detector counted that as rep 31 of 30
(ROM 19°, 12 s long, ending 72 % of the way up). The rule: a confirmed rep whose end is
still more than ``return_frac`` of its ROM above its start is not counted.
"""

from __future__ import annotations

import numpy as np

from motion.despike import CausalMedian
from motion.reps import RepDetector
from tests.motion.test_motion_detector import RATE, trapezoid_set


def detect(a: np.ndarray, **kw) -> list:
    t = np.arange(a.shape[0]) / RATE
    det, med, out = RepDetector(RATE, **kw), CausalMedian(5), []
    for i in range(0, t.shape[0], 7):
        out += det.process(t[i : i + 7], med.process(a[i : i + 7]))
    return out + det.finish()


def settle_and_jolt() -> np.ndarray:
    """Three 40° reps, then the limb creeps 18° up over 3 s, stays 8 s, jolts 10° up and
    drops back to 12° above where it started, and then the next three reps from there."""
    _, a, _ = trapezoid_set([40.0] * 3, rest_s=1.0)
    n = int(RATE)
    creep = 18.0 * 0.5 * (1 - np.cos(np.pi * np.arange(3 * n) / (3 * n)))
    jolt = np.concatenate([np.linspace(18, 28, n // 4), np.linspace(28, 12, n // 4)])
    after = trapezoid_set([40.0] * 3, rest_s=1.0)[1] + 12.0
    return np.concatenate([a, creep, np.full(8 * n, 18.0), jolt, np.full(3 * n, 12.0), after])


def test_a_rise_that_settles_at_a_new_level_is_not_a_rep():
    reps = detect(settle_and_jolt())
    assert len(reps) == 6, [(round(r.t_start, 1), round(r.rom_deg)) for r in reps]
    assert all(abs(r.rom_deg - 40.0) < 2.0 for r in reps)


def test_without_the_return_rule_the_settling_counts():
    # the case above is one the rule decides (not one the other rules already reject)
    assert len(detect(settle_and_jolt(), return_frac=np.inf)) == 7
