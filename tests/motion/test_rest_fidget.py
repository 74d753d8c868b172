"""Rest as a wristband sees it (sensors/sim/fidget.py) through the live pipeline.

A fidgeting rest (sway, weight shifts, arm lifts, scratches at irregular times) must count
nothing; a set after such a rest must count exactly its reps. The floors are today's
figures (python -m bench.accuracy prints the same rows): raise them, never lower them.
"""

from __future__ import annotations

import numpy as np

from bench.accuracy import FIDGET_SEEDS, SET_EXERCISES, SET_REPS, rest_counts
from motion.run import run_set
from sensors.sim import SimConfig, simulate
from sensors.sim.fidget import fidgeting_rest, rest_then_set

# --- Floors (measured at the three-alike-reps opening; issue 11's target is all of them) --
FIDGET_ZERO_MIN = 16  # of 16 fidgeting minutes count 0 (14 before the axis waited for the
#                      movement to repeat, motion/axis_lock.py)
SET_EXACT_MIN = 16  # of 16 rest-then-set count exactly 10 (8 when the axis locked on a move
#                     of the rest)
SWAY_ZERO_MIN = {2.0: 8, 3.0: 8, 5.0: 8}  # of 8 minutes of sway count 0 (±5°: 7 before)
# -------------------------------------------------------------------------------------------


def test_the_fidgeting_rest_moves_like_a_person_not_like_a_statue():
    turned = []
    for seed in range(4):
        ch = fidgeting_rest(seed)
        rate = np.linalg.norm(ch.gyro_rad_s, axis=1)
        turned.append(np.degrees(rate.max()))
    assert min(turned) > 30.0  # deg/s: lifts and shifts, not only sway


def test_the_set_after_the_rest_is_the_simulator_set():
    ex = SET_EXERCISES[0]
    ch = rest_then_set(3, ex, SET_REPS)
    alone = simulate(SimConfig(exercise_id=ex, reps=SET_REPS, rate_hz=50.0, seed=3,
                               initial_still_s=1.0, mounting="random")).distal
    assert np.array_equal(ch.gyro_rad_s[-len(alone):], alone.gyro_rad_s)
    assert len(run_set(alone, 50.0).reps_) == SET_REPS
    assert np.all(np.diff(ch.t_s) > 0)


def test_rest_counts_nothing_and_a_set_after_it_counts_its_reps():
    rows = rest_counts()
    got = {name: sum(c == expected for c in counts) for name, (counts, expected) in rows.items()}
    fidget = rows["a minute of fidgeting rest"][0]
    sets = rows[f"fidgeting rest, then a set of {SET_REPS}"][0]
    assert len(fidget) == len(sets) == FIDGET_SEEDS
    assert got["a minute of fidgeting rest"] >= FIDGET_ZERO_MIN, fidget
    assert got[f"fidgeting rest, then a set of {SET_REPS}"] >= SET_EXACT_MIN, sets
    for amp, floor in SWAY_ZERO_MIN.items():
        assert got[f"a minute of standing sway ±{amp:g}°"] >= floor, rows
