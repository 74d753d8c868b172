"""The whole streaming path on simulated sets with ground truth."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motion.pipeline import MotionError, SetAnalyzer
from motion.run import run_set
from sensors.sim import SimConfig, simulate
from sensors.types import ImuChunk
from therapy.catalogue import CATALOGUE


def rom_errors(res, analyzer):
    assert len(analyzer.reps_) == len(res.truth.reps)
    return np.array([r.rom_deg - t.rom_deg for r, t in zip(analyzer.reps_, res.truth.reps)])


@pytest.mark.parametrize("exercise", sorted(CATALOGUE))
@pytest.mark.parametrize("rate", [25.0, 100.0])
def test_one_imu_counts_exactly_and_measures_rom(exercise, rate):
    res = simulate(SimConfig(exercise_id=exercise, reps=6, rate_hz=rate, seed=11))
    an = run_set(res.distal, rate, lifts=CATALOGUE[exercise].lifts)
    err = rom_errors(res, an)
    assert np.sqrt(np.mean(err**2)) < 1.0, err


@pytest.mark.parametrize("exercise", ["knee_extension_seated", "elbow_flexion", "heel_slide"])
def test_two_imus_measure_the_joint_while_the_proximal_segment_moves(exercise):
    res = simulate(SimConfig(exercise_id=exercise, reps=6, rate_hz=100.0, seed=5,
                             two_segment=True))
    an = run_set(res.distal, 100.0, proximal=res.proximal, lifts=CATALOGUE[exercise].lifts)
    err = rom_errors(res, an)
    assert np.sqrt(np.mean(err**2)) < 2.5, err


def test_reps_flagged_like_the_simulator_performed_them():
    kinds = ("correct",) * 4 + ("fast", "partial", "correct", "partial")
    res = simulate(SimConfig(exercise_id="knee_extension_seated", reps=len(kinds),
                             rate_hz=50.0, seed=2, rep_kinds=kinds))
    an = run_set(res.distal, 50.0)
    got = [set(r.flags) for r in an.reps_]
    assert len(got) == len(kinds)
    for flags, kind in zip(got, kinds):
        if kind == "correct":
            assert not flags
        elif kind == "fast":
            assert flags & {"too_fast", "short_hold"}
        else:
            assert "incomplete_rom" in flags


def test_a_long_gap_is_bridged_counted_and_flagged():
    res = simulate(SimConfig(exercise_id="elbow_flexion", reps=6, rate_hz=50.0, seed=4,
                             gap_s=2.0))
    an = run_set(res.distal, 50.0)
    assert an.gaps_ >= 1 and an.gap_s_ == pytest.approx(2.0, abs=0.2)
    assert len(an.reps_) >= 5  # the rep cut by the hole may be lost, never the set
    gap_reps = [r for r in an.reps_ if "gap" in r.flags]
    mid = 0.5 * (res.distal.t_s[0] + res.distal.t_s[-1])
    assert all(r.t_start <= mid + 1.0 and r.t_end >= mid - 1.0 for r in gap_reps)


def test_non_finite_and_backwards_samples_are_skipped_and_counted():
    res = simulate(SimConfig(exercise_id="elbow_flexion", reps=4, rate_hz=50.0, seed=1))
    c = res.distal
    acc = c.accel_m_s2.copy()
    acc[[100, 700]] = np.nan
    t = c.t_s.copy()
    t[300] = t[298]  # time going backwards for one sample
    an = run_set(ImuChunk(t, acc, c.gyro_rad_s), 50.0)
    assert an.rejected_ == 3
    assert len(an.reps_) == 4


@settings(max_examples=12, deadline=None)
@given(cut=st.floats(0.1, 0.95), chunk=st.integers(1, 64))
def test_cutting_a_recording_short_keeps_every_rep_found_before_the_cut(cut, chunk):
    res = _cached_sim()
    full = run_set(res.distal, 100.0, chunk_size=17).reps_
    n = int(cut * len(res.distal))
    an = SetAnalyzer(100.0)
    for part in res.distal.slice(0, n).split(chunk):
        an.feed(part)
    assert_same_reps(an.reps_, full[: len(an.reps_)])


def assert_same_reps(got, want):
    """Equal up to float summation order (1e-9): chunking must not change a rep."""
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.n == w.n and g.flags == w.flags
        for name in ("t_start", "t_peak", "t_end", "t_detected", "rom_deg", "hold_s", "up_s",
                     "down_s"):
            assert getattr(g, name) == pytest.approx(getattr(w, name), abs=1e-9), name


@pytest.mark.parametrize("two", [False, True])
def test_chunking_does_not_change_any_rep(two):
    res = simulate(SimConfig(exercise_id="elbow_flexion", reps=4, rate_hz=100.0, seed=3,
                             two_segment=two))
    kw = {"proximal": res.proximal} if two else {}
    ref = run_set(res.distal, 100.0, chunk_size=1000, **kw).reps_
    assert len(ref) == 4
    for size in (1, 7, 64):
        assert_same_reps(run_set(res.distal, 100.0, chunk_size=size, **kw).reps_, ref)


_SIM = {}


def _cached_sim():
    if "r" not in _SIM:
        _SIM["r"] = simulate(SimConfig(exercise_id="knee_extension_seated", reps=5,
                                       rate_hz=100.0, seed=9))
    return _SIM["r"]


def test_two_imu_mode_needs_an_aligned_proximal_chunk():
    res = _cached_sim()
    an = SetAnalyzer(100.0, two_imu=True)
    with pytest.raises(MotionError, match="proximal"):
        an.feed(res.distal.slice(0, 10))


@pytest.mark.parametrize("exercise", ["knee_extension_seated", "shoulder_abduction_standing",
                                      "trunk_flexion_seated", "hip_abduction_side_lying"])
@pytest.mark.parametrize("frac", [0.3, 0.6, 0.9])
def test_a_recording_that_starts_mid_rep_counts_the_following_reps(exercise, frac):
    """Started during the first rep's rise, hold or descent: rest and top are not swapped."""
    res = simulate(SimConfig(exercise_id=exercise, reps=6, rate_hz=50.0, seed=4))
    first = res.truth.reps[0]
    t_cut = first.t_start + frac * (first.t_end - first.t_start)
    i = int(np.searchsorted(res.distal.t_s, t_cut))
    an = run_set(res.distal.slice(i, len(res.distal)), 50.0, lifts=CATALOGUE[exercise].lifts)
    after = [t for t in res.truth.reps if t.t_start >= t_cut]
    assert len(an.reps_) == len(after)
    err = [a.rom_deg - t.rom_deg for a, t in zip(an.reps_, after)]
    assert max(abs(e) for e in err) < 4.0, err
