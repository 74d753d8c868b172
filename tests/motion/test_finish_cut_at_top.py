"""A stream that ends at the top of a rep (RepDetector.finish, ``end_top_share``).

SPAR's sets end on a rep's way up as often as not: of the 42, six ended at the top of a
rep the subject had reached and not come back from, and counted 18 or 19 of 20 for it.
A rep that reached the set's ROM counts at the end of the stream once the limb has been
near its top for half the time the set's reps spend there (a rep's top is about even in
time around its turn); one cut on its way up, or early in a hold, does not. UCI-PT s1 e5
ends 0.8 s into the 5 s hold of a lift its labels do not count.
"""

from __future__ import annotations

import numpy as np
import pytest

from motion.run import run_set
from sensors.sim import SimConfig, simulate
from sensors.types import ImuChunk
from therapy.catalogue import CATALOGUE

RATE = 50.0
REPS = 10


def _cut(chunk: ImuChunk, t_s: float) -> ImuChunk:
    return chunk.slice(0, int(np.searchsorted(chunk.t_s, t_s)))


def _set(ex_id: str, hold_s: float, seed: int):
    return simulate(SimConfig(exercise_id=ex_id, reps=REPS, rate_hz=RATE, seed=seed,
                              hold_s=hold_s, rest_s=0.3, final_still_s=0.0))


def _count(chunk: ImuChunk, ex_id: str):
    return run_set(chunk, RATE, chunk_size=32, lifts=CATALOGUE[ex_id].lifts).reps_


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("ex_id", ["shoulder_abduction_standing", "elbow_flexion"])
def test_a_set_without_holds_cut_at_its_last_top_counts_that_rep(ex_id: str, seed: int) -> None:
    res = _set(ex_id, 0.0, seed)
    last = res.truth.reps[-1]
    reps = _count(_cut(res.distal, last.t_peak + 0.4), ex_id)  # past its turn
    assert len(reps) == REPS
    assert abs(reps[-1].rom_deg - last.rom_deg) < 0.15 * last.rom_deg
    # its lowering was not seen: its tempo is not judged as a lowering of no time
    assert reps[-1].down_s == reps[-1].up_s
    assert set(reps[-1].flags) <= set().union(*(r.flags for r in reps[:-1]))


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("ex_id", ["shoulder_abduction_standing", "elbow_flexion"])
def test_a_rep_cut_on_its_way_up_does_not_count(ex_id: str, seed: int) -> None:
    res = _set(ex_id, 0.0, seed)
    last = res.truth.reps[-1]
    reps = _count(_cut(res.distal, last.t_start + 0.6 * last.up_s), ex_id)
    assert len(reps) == REPS - 1


@pytest.mark.parametrize("seed", range(3))
def test_a_held_rep_counts_once_held_for_half_the_sets_hold(seed: int) -> None:
    ex_id = "straight_leg_raise"
    res = _set(ex_id, 5.0, seed)
    last = res.truth.reps[-1]
    hold_from = last.t_peak - 0.5 * last.hold_s  # t_peak is the hold's middle
    early = _count(_cut(res.distal, hold_from + 1.0), ex_id)
    late = _count(_cut(res.distal, hold_from + 0.75 * last.hold_s), ex_id)
    assert (len(early), len(late)) == (REPS - 1, REPS)
