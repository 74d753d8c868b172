"""The axis locks on the movement that repeats (motion/axis_lock.py), not on what moved first.

Unit checks on the lock with gyro streams built here (strokes about chosen axes), then
through the live pipeline on a fidgeting rest before a set (sensors/sim/fidget.py): the
set's own axis, whatever the rest did, and the same reps however the stream is chunked.
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.accuracy import SET_EXERCISES, SET_REPS
from motion.axis_lock import RepeatAxisLock
from motion.run import run_set
from sensors.sim import SimConfig, simulate
from sensors.sim.fidget import rest_then_set

RATE_HZ = 50.0
BLOCK = 25  # samples in the lock's 0.5 s block at 50 Hz


def _stroke(axis: np.ndarray, deg: float, dur_s: float) -> np.ndarray:
    """Gyro (n, 3) of a smooth turn of ``deg`` about ``axis`` over ``dur_s``."""
    n = int(round(dur_s * RATE_HZ))
    u = (np.arange(n) + 0.5) / n
    speed = np.radians(deg) / dur_s * 2.0 * np.sin(np.pi * u) ** 2  # mean = deg / dur_s
    a = np.asarray(axis, float) / np.linalg.norm(axis)
    return speed[:, None] * a[None, :]


def _still(dur_s: float) -> np.ndarray:
    return np.zeros((int(round(dur_s * RATE_HZ)), 3))


def _feed(lock: RepeatAxisLock, gyro: np.ndarray) -> float | None:
    """Feed in whole blocks; the time (s) at which it locked, or None."""
    for i in range(0, len(gyro) - BLOCK + 1, BLOCK):
        lock.add(gyro[i:i + BLOCK])
        if lock.close_block():
            return (i + BLOCK) / RATE_HZ
    return None


def _angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(min(1.0, abs(float(a @ b) / np.linalg.norm(b))))))


X, Y, Z = np.eye(3)
TILTED = np.array([0.3, 0.9, 0.2])


def test_a_lift_out_and_back_does_not_lock_the_axis():
    # Look at the watch: 60° out, 3 s there, back; then nothing.
    gyro = np.concatenate([_still(1), _stroke(X, 60, 1), _still(3), _stroke(-X, 60, 1),
                           _still(12)])
    lock = RepeatAxisLock(RATE_HZ)
    assert _feed(lock, gyro) is None
    assert lock.axis_ is None


def test_three_alike_strokes_lock_on_their_axis():
    rep = np.concatenate([_stroke(TILTED, 40, 1), _still(2), _stroke(-TILTED, 40, 1),
                          _still(1)])
    lock = RepeatAxisLock(RATE_HZ)
    at = _feed(lock, np.concatenate([_still(1), rep, rep, rep]))
    assert at is not None and at < 1 + 5 + 1.5 + 0.5  # lift, lower, next lift: three strokes
    assert lock.how_.startswith("repeat")
    assert lock.axis_ is not None and _angle_deg(lock.axis_, TILTED) < 1.0


def test_moves_about_other_axes_in_between_keep_it_from_locking():
    moves = [_stroke(X, 40, 1), _still(2), _stroke(Y, 40, 1), _still(2), _stroke(Z, 40, 1),
             _still(2), _stroke(X + Z, 30, 1), _still(2)]
    lock = RepeatAxisLock(RATE_HZ)
    assert _feed(lock, np.concatenate(moves)) is None


def test_an_old_move_about_the_same_axis_is_forgotten():
    # A lift about the set's axis, then a long quiet rest, then one rep (two strokes):
    # without forgetting, the old lift would be the third stroke.
    gyro = np.concatenate([_stroke(Y, 50, 1), _still(20), _stroke(Y, 40, 1), _still(1),
                           _stroke(-Y, 40, 1), _still(5)])
    lock = RepeatAxisLock(RATE_HZ, forget_s=15.0)
    assert _feed(lock, gyro) is None
    # The same within forget_s locks.
    gyro = np.concatenate([_stroke(Y, 50, 1), _still(5), _stroke(Y, 40, 1), _still(1),
                           _stroke(-Y, 40, 1), _still(5)])
    assert _feed(RepeatAxisLock(RATE_HZ, forget_s=15.0), gyro) is not None


def test_sustained_movement_locks_on_the_candidate_whatever_its_dominance():
    # A circular pendulum: the axis turns with the swing, no axis dominates, no two
    # windows agree; it goes on, so once the wait gives a candidate (all the turning
    # seen, as the angle tracker asks after AXIS_WAIT_S) that is the axis.
    t = np.arange(0, 12, 1 / RATE_HZ)
    w = np.radians(60) * np.stack([np.cos(2 * np.pi * 0.8 * t), np.sin(2 * np.pi * 0.8 * t),
                                   np.zeros_like(t)], axis=1)
    lock = RepeatAxisLock(RATE_HZ, sustain_s=6.0)
    assert _feed(lock, np.concatenate([_still(1), w])) is None
    assert lock.candidate_ is None
    assert lock.take_all()
    assert lock.how_ == "sustained+candidate"
    assert lock.axis_ is not None and abs(float(lock.axis_ @ Z)) < 0.2  # in the swing's plane


def test_a_candidate_from_a_move_that_did_not_repeat_is_not_the_axis():
    # A lift about X that two windows agree on (the old lock took it), then a set about Y.
    rep = np.concatenate([_stroke(Y, 40, 1), _still(1.5), _stroke(-Y, 40, 1), _still(1)])
    gyro = np.concatenate([_stroke(X, 60, 1.5), _stroke(-X, 60, 1.5), _still(3), rep, rep])
    lock = RepeatAxisLock(RATE_HZ)
    assert _feed(lock, gyro) is not None
    assert lock.candidate_ is not None and _angle_deg(lock.candidate_, X) < 1.0
    assert lock.how_ == "repeat"
    assert lock.axis_ is not None and _angle_deg(lock.axis_, Y) < 1.0


def _set_axis(seed: int) -> np.ndarray:
    ex = SET_EXERCISES[seed % len(SET_EXERCISES)]
    alone = simulate(SimConfig(exercise_id=ex, reps=SET_REPS, rate_hz=RATE_HZ, seed=seed,
                               initial_still_s=1.0, mounting="random")).distal
    axis = run_set(alone, RATE_HZ)._angle.axis.axis_
    assert axis is not None
    return axis


def test_after_a_fidgeting_rest_the_axis_is_the_sets_own():
    # Before the repeat lock: 26-90° off in every one of these seeds (a move of the rest).
    for seed in range(8):
        ch = rest_then_set(seed, SET_EXERCISES[seed % len(SET_EXERCISES)], SET_REPS)
        an = run_set(ch, RATE_HZ)
        axis = an._angle.axis.axis_
        assert axis is not None
        assert _angle_deg(axis, _set_axis(seed)) < 3.0, seed
        assert len(an.reps_) == SET_REPS, seed


def test_rest_then_set_gives_the_same_reps_in_any_chunks():
    # Seed 4's rest (38 s) and set run past the longest hold: the forgotten part of the
    # rest is released as the tilt before the set locks, whatever the chunking.
    ch = rest_then_set(4, SET_EXERCISES[4 % len(SET_EXERCISES)], SET_REPS)
    ref = run_set(ch, RATE_HZ, chunk_size=1000).reps_
    assert len(ref) == SET_REPS
    for size in (1, 7, 64):
        got = run_set(ch, RATE_HZ, chunk_size=size).reps_
        assert len(got) == len(ref), size
        for g, w in zip(got, ref):  # equal up to float summation order
            assert g.flags == w.flags, size
            for name in ("t_start", "t_peak", "t_end", "t_detected", "rom_deg", "hold_s"):
                assert getattr(g, name) == pytest.approx(getattr(w, name), abs=1e-9), name
