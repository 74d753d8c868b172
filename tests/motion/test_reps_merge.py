"""Two reps must not merge into one where the set changes: known answers on crafted signals.

The traps come from UCI-PT subject 1 (sessions e2 and e4, the first low-amplitude rep
after the fast ones), rebuilt here as clean shapes so the rule is tested, not the file:
- a jolt sets a false low, then the limb rests at a shifted level before small reps;
- small reps after bigger ones, where the patient stops going all the way back down.
And the shapes that must stay one rep: a bounce at the top of the lift before a lower
hold, and a jerk at the end of a long hold.
"""

from __future__ import annotations

import numpy as np
import pytest

from motion.despike import CausalMedian
from motion.reps import RepDetector

RATE = 25.0  # the UCI-PT rate, where the traps were seen


def path(start_deg, moves, *, rate=RATE, noise_deg=0.15, seed=3):
    """Angle trace from ``(level_deg, move_s, stay_s)`` steps: a cosine move to the level,
    then still there. Returns t, angle."""
    parts, level = [], float(start_deg)
    for target, move_s, stay_s in moves:
        n_move, n_stay = round(move_s * rate), round(stay_s * rate)
        if n_move:
            k = np.arange(1, n_move + 1) / n_move
            parts.append(level + (target - level) * 0.5 * (1 - np.cos(np.pi * k)))
        parts.append(np.full(n_stay, float(target)))
        level = float(target)
    a = np.concatenate(parts)
    a = a + np.random.default_rng(seed).normal(0.0, noise_deg, a.shape)
    return np.arange(a.shape[0]) / rate, a


def rep(base, top, *, up_s=1.0, hold_s=5.0, down_s=1.0, rest_s=1.5, end=None):
    """Moves of one rep from ``base`` to ``top`` and back down to ``end`` (default base)."""
    return [(top, up_s, hold_s), (base if end is None else end, down_s, rest_s)]


def detect(t, a, chunk=8, open_rom_deg=8.0):
    det, med, out = RepDetector(RATE, open_rom_deg=open_rom_deg), CausalMedian(5), []
    for i in range(0, t.shape[0], chunk):
        out += det.process(t[i : i + chunk], med.process(a[i : i + chunk]))
    return out + det.finish()


def big_then_fast(n=4):
    moves = [(0.0, 0.0, 2.0)]
    for _ in range(n):
        moves += rep(0.0, 30.0, hold_s=0.3, rest_s=0.8)
    return moves


def test_a_jolt_then_a_rest_at_a_shifted_level_does_not_start_the_next_rep():
    """e2: the sensor jolts 20° down for under a second, the patient settles 3° higher
    and rests 12 s, then does small reps. The jolt's low is not where the next rep starts:
    measured from it, the first small rep never got "half way down" and swallowed the
    second one."""
    small = []
    for _ in range(4):
        small += rep(3.0, 18.0, hold_s=4.0, rest_s=0.0, down_s=0.8)
    moves = big_then_fast() + [(-20.0, 0.1, 0.8), (3.0, 0.2, 12.0)] + small + [(3.0, 0.0, 2.0)]
    reps = detect(*path(0.0, moves))
    assert len(reps) == 4 + 4
    first_small = reps[4]
    t_lift = 2.0 + 4 * (1.0 + 0.3 + 1.0 + 0.8) + 0.1 + 0.8 + 0.2 + 12.0
    assert first_small.t_start == pytest.approx(t_lift, abs=0.4)
    assert first_small.up_s < 2.0
    assert [round(r.rom_deg) for r in reps[4:]] == pytest.approx([15] * 4, abs=1.5)


def test_small_reps_that_stop_short_of_the_old_rest_level_are_each_counted():
    """e4: after fast 12° reps the patient does 7° reps with a 4 s hold, and after the
    first one rests 4° higher than before. Its lowering is smaller than the prominence
    of the fast reps and never half way back to the old rest; the patient rests a second
    and lifts again: a physio counts two reps, not one long hold."""
    moves = [(0.0, 0.0, 2.0)]
    for _ in range(4):
        moves += rep(0.0, 12.0, hold_s=0.3, rest_s=0.8)
    moves += [(0.0, 0.0, 15.0)]
    moves += rep(0.0, 7.0, hold_s=4.5, down_s=0.6, rest_s=1.0, end=4.2)
    for _ in range(4):
        moves += rep(4.2, 8.5, hold_s=4.0, down_s=0.6, rest_s=1.0)
    reps = detect(*path(0.0, moves, noise_deg=0.08))
    assert len(reps) == 4 + 1 + 4
    assert reps[4].rom_deg == pytest.approx(7.0, abs=0.8)
    assert reps[4].hold_s == pytest.approx(4.5, abs=0.8)
    assert reps[4].t_end < reps[5].t_start


def test_a_bounce_at_the_top_then_a_lower_hold_is_one_rep():
    """e5: the limb overshoots at the end of the lift, drops back a third at once and
    holds there (still, creeping up a little), then jerks up before lowering. The drop
    came with no hold before it: a bounce, not a lowering. One rep per lift."""
    moves = [(2.0, 0.0, 2.0)]
    for _ in range(5):
        moves += [(10.2, 0.8, 0.1), (7.0, 0.3, 0.2), (8.2, 5.0, 0.0), (10.5, 0.4, 0.0),
                  (2.0, 0.5, 0.8)]
    # e5's low-amplitude reps come after its correct ones: the set is already open.
    reps = detect(*path(2.0, moves, noise_deg=0.08), open_rom_deg=None)
    assert len(reps) == 5
    assert all(r.hold_s > 4.0 for r in reps)


def test_a_jerk_at_the_end_of_a_long_hold_keeps_the_rep_start():
    """e5 again: the lift overshoots, settles a little lower (less than a prominence) and
    holds over 5 s without getting higher, then jerks up a prominence above the hold
    just before lowering. The hold was not a rest: the rep still starts where the limb
    was lifted from, and keeps its ROM and hold."""
    moves = [(2.0, 0.0, 2.0)]
    for _ in range(4):
        moves += [(10.5, 0.8, 0.1), (8.8, 0.3, 0.2), (9.6, 5.0, 0.0), (11.8, 0.4, 0.0),
                  (2.0, 0.5, 0.8)]
    # e5's low-amplitude reps come after its correct ones: the set is already open.
    reps = detect(*path(2.0, moves, noise_deg=0.08), open_rom_deg=None)
    assert len(reps) == 4
    assert all(r.up_s < 1.5 for r in reps)
    assert all(r.rom_deg > 6.0 and r.hold_s > 4.0 for r in reps)


def test_causal_and_never_twice_across_the_traps():
    """Every chunking gives the same reps on the trap signals; a cut keeps earlier reps."""
    small = []
    for _ in range(3):
        small += rep(3.0, 18.0, hold_s=4.0, rest_s=0.0, down_s=0.8)
    moves = big_then_fast(2) + [(-20.0, 0.1, 0.8), (3.0, 0.2, 12.0)] + small
    moves += rep(3.0, 9.0, hold_s=4.5, down_s=0.6, rest_s=1.0, end=6.0)
    moves += rep(6.0, 10.0, hold_s=4.0, down_s=0.6, rest_s=1.0)
    t, a = path(0.0, moves)
    full = detect(t, a, chunk=t.shape[0])
    # with no ROM prescribed two big reps and a 12 s pause do not open a set (three
    # regular ones do): the three small reps open it, then the two after them
    assert [round(r.rom_deg) for r in full] == [15, 15, 14, 6, 4]
    for chunk in (1, 3, 8, 50):
        assert detect(t, a, chunk=chunk) == full
    det, med, got = RepDetector(RATE), CausalMedian(5), []
    cut = int(0.8 * t.shape[0])
    for i in range(0, cut, 7):
        j = min(i + 7, cut)
        got += det.process(t[i:j], med.process(a[i:j]))
    assert got == full[: len(got)] and len(got) >= 3
