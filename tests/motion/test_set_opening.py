"""A set opens with two alike reps (no prescribed ROM): standing sway, fidgeting and a lone
shift of posture never count; a real set loses nothing, its first rep only waits."""

from __future__ import annotations

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


def test_the_first_rep_waits_for_a_second_alike_one_and_both_count():
    t, a, truth = trapezoid_set([12.0, 20.0, 18.0], noise_deg=0.05)
    reps = detect(t, a)
    assert [round(r.rom_deg) for r in reps] == [12, 20, 18]
    assert reps[0].t_detected == reps[1].t_detected
    assert reps[1].t_detected <= truth[1]["t_end"] + 0.5


def test_reps_unlike_the_first_do_not_open_the_set_with_it():
    # a 40° posture change, then two 10° reps: the set opens with the two 10° reps
    t, a, _ = trapezoid_set([40.0, 10.0, 10.0], rest_s=2.0)
    assert [round(r.rom_deg) for r in detect(t, a)] == [10, 10]


def test_under_the_opening_rom_nothing_opens_a_set():
    t, a, _ = trapezoid_set([6.0] * 6)
    assert detect(t, a) == []
    assert len(detect(t, a, open_rom_deg=None)) == 6


def test_a_prescribed_rom_emits_every_rep_at_once():
    t, a, truth = trapezoid_set([40.0])
    (rep,) = detect(t, a, reference_rom_deg=45.0)
    assert truth[0]["t_end"] <= rep.t_detected <= truth[0]["t_end"] + 0.5
