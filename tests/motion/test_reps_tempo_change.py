"""A period that lags a change of tempo does not merge reps (motion.reps: the two-bump
merge). UCI-PT's protocol done without a rest between reps: the last fast rep, then at once
the first low-amplitude one with its 5 s hold. The period (autocorrelation over the last
10 s) still said ~3.8 s, so the fast rep's end, 1.4 s after the rep before, was taken for
the first bump of a two-bump cycle (a row) and the next rep swallowed: 29 in 4 of 24
sessions. A merge now also needs the last counted rep to have come a period-share after
the one before it, as in a set of rows, whose counted reps are a period apart."""

from __future__ import annotations

import pytest

from exercises import CATALOGUE
from motion.run import run_set
from sensors.sim import SimConfig, simulate

KINDS = ("correct",) * 10 + ("fast",) * 10 + ("partial",) * 10


@pytest.mark.parametrize("exercise", ["hip_abduction_side_lying", "elbow_flexion",
                                      "knee_extension_seated", "hip_extension_prone"])
def test_back_to_back_fast_then_held_reps_count_each(exercise: str) -> None:
    res = simulate(SimConfig(exercise_id=exercise, reps=30, rate_hz=25.0, seed=0,
                             rep_kinds=KINDS, hold_s=5.0, rest_s=0.0))
    an = run_set(res.distal, 25.0, chunk_size=8, lifts=CATALOGUE[exercise].lifts)
    assert len(an.reps_) == 30
    ends = [r.t_end for r in res.truth.reps]
    assert all(min(abs(r.t_end - e) for r in an.reps_) < 1.0 for e in ends)
