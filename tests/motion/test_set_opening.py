"""A set opens with three reps that repeat (no prescribed ROM): alike in ROM, regular in
time. Standing sway, fidgeting and a lone shift of posture never count; a real set loses
nothing, its first two reps only wait."""

from __future__ import annotations

import numpy as np
import pytest

from motion.despike import CausalMedian
from motion.reps import RepDetector
from motion.run import run_set
from sensors.sim.rest import standing_sway
from tests.motion.test_motion_detector import RATE, trapezoid_set


@pytest.mark.parametrize("amp_deg", [2.0, 3.0])
def test_standing_still_with_sway_counts_nothing(amp_deg):
    counts = [len(run_set(standing_sway(seed, amp_deg), 50.0).reps_) for seed in range(8)]
    assert counts == [0] * 8


def detect(t, a, **kw):
    det, med, out = RepDetector(RATE, **kw), CausalMedian(5), []
    for i in range(0, t.shape[0], 7):
        out += det.process(t[i : i + 7], med.process(a[i : i + 7]))
    return out + det.finish()


def test_a_lone_shift_of_posture_is_not_a_set():
    t, a, _ = trapezoid_set([35.0], hold_s=3.0, rest_s=20.0)
    assert detect(t, a) == []


def test_the_first_reps_wait_for_a_third_alike_one_and_all_count():
    t, a, truth = trapezoid_set([12.0, 20.0, 18.0, 15.0], noise_deg=0.05)
    reps = detect(t, a)
    assert [round(r.rom_deg) for r in reps] == [12, 20, 18, 15]
    assert reps[0].t_detected == reps[1].t_detected == reps[2].t_detected
    assert reps[2].t_detected <= truth[2]["t_end"] + 0.5
    assert reps[3].t_detected <= truth[3]["t_end"] + 0.5


def test_two_alike_reps_alone_do_not_open_a_set():
    # a look at the watch and back, twice: alike, but nothing repeats a third time
    t, a, _ = trapezoid_set([30.0, 30.0], rest_s=4.0)
    assert detect(t, a) == []


def test_reps_unlike_the_first_do_not_open_the_set_with_it():
    # a 40° posture change, then three 10° reps: the set opens with the 10° reps
    t, a, _ = trapezoid_set([40.0, 10.0, 10.0, 10.0], rest_s=2.0)
    assert [round(r.rom_deg) for r in detect(t, a)] == [10, 10, 10]


def _concat(*parts):
    """Trapezoid sets one after the other (each from its own rest), one time axis."""
    a = np.concatenate([p[1] for p in parts])
    return np.arange(a.shape[0]) / RATE, a


def test_alike_moves_at_irregular_times_do_not_open_a_set():
    # three 25° lifts of the arm, 2 s then 12 s apart: alike in size, not a rhythm
    t, a = _concat(trapezoid_set([25.0, 25.0], rest_s=1.0), trapezoid_set([25.0], rest_s=4.0,
                                                                          lead_s=10.0))
    assert detect(t, a) == []
    # the same lifts at a steady pace are a set
    t, a, _ = trapezoid_set([25.0] * 3, rest_s=1.0)
    assert len(detect(t, a)) == 3


def test_under_the_opening_rom_nothing_opens_a_set():
    t, a, _ = trapezoid_set([6.0] * 6)
    assert detect(t, a) == []
    assert len(detect(t, a, open_rom_deg=None)) == 6


def test_a_prescribed_rom_emits_every_rep_at_once():
    t, a, truth = trapezoid_set([40.0])
    (rep,) = detect(t, a, reference_rom_deg=45.0)
    assert truth[0]["t_end"] <= rep.t_detected <= truth[0]["t_end"] + 0.5
