"""A lock taken on one reach gives way when the movement then repeats about another axis
(motion/axis_lock.py, "A reach gives way"; bench/accuracy_rest_small.py prints the row).

With a small ROM prescribed (20-40°), ``reach_frac`` of it is 14-28°: a lift of the arm
during the rest before the set (8-80°) reaches it too, and locked the one-IMU axis on the
lift, up to 90° from the exercise's; the whole set was then measured about the wrong axis and
counted 1-2 of 10. Gyro and up vector streams for the lock are built as in
test_axis_reach.py; the sets come from the simulator (seeds where a rest lift locked).
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.accuracy_kiosk import KIOSK_CHUNK
from bench.accuracy_rest_small import case
from motion.axis_lock import RepeatAxisLock
from motion.pipeline import SetAnalyzer
from sensors.sim.rotations import exp_so3
from therapy.catalogue import CATALOGUE

RATE_HZ = 50.0
BLOCK = 25  # samples in the lock's 0.5 s block at 50 Hz
X, Y, Z = np.eye(3)
UP = Z  # the sensor's up vector at rest: X and Y are horizontal axes


def _stroke(axis: np.ndarray, deg: float, dur_s: float) -> np.ndarray:
    n = int(round(dur_s * RATE_HZ))
    u = (np.arange(n) + 0.5) / n
    speed = np.radians(deg) / dur_s * 2.0 * np.sin(np.pi * u) ** 2
    return speed[:, None] * np.asarray(axis, float)[None, :]


def _still(dur_s: float) -> np.ndarray:
    return np.zeros((int(round(dur_s * RATE_HZ)), 3))


def _rep(axis: np.ndarray, deg: float) -> np.ndarray:
    return np.concatenate([_stroke(axis, deg, 1.5), _still(2), _stroke(-axis, deg, 1.5),
                           _still(1)])


def _feed(lock: RepeatAxisLock, gyro: np.ndarray) -> list[tuple[float, str]]:
    """Feed whole blocks; the (time, how) of each lock and re-lock."""
    up = np.einsum("nij,j->ni", exp_so3(-np.cumsum(gyro, axis=0) / RATE_HZ), UP)
    seen: list[tuple[float, str]] = []
    for i in range(0, len(gyro) - BLOCK + 1, BLOCK):
        lock.add(gyro[i:i + BLOCK], up[i:i + BLOCK])
        lock.close_block()
        if lock.axis_ is not None and (not seen or seen[-1][1] != lock.how_):
            seen.append(((i + BLOCK) / RATE_HZ, lock.how_))
    return seen


def test_a_lift_in_the_rest_gives_way_to_the_set_that_repeats_about_another_axis():
    # A 25° lift about X during the rest (ROM 30: it reaches 70 %), then reps about Y.
    gyro = np.concatenate([_still(1), _rep(X, 25), _still(4)] + [_rep(Y, 30)] * 4)
    lock = RepeatAxisLock(RATE_HZ, target_rom_deg=30.0)
    seen = _feed(lock, gyro)
    assert [how.split("+")[0] for _, how in seen] == ["reach", "repeat-after-reach"]
    assert lock.axis_ is not None and abs(float(lock.axis_ @ Y)) > 0.99
    assert lock.relocks_ == 1
    # Lift, lower, lift: the third stroke of the set ends its second lift.
    assert seen[1][0] <= 1 + 6.5 + 4 + 6.5 + 1.5 + 0.5
    # The set's first excursion (out about +Y) is what the angle takes as positive.
    assert lock.excursion_rad_ > np.radians(25)


def test_a_set_that_locked_on_its_first_rep_keeps_its_axis():
    gyro = np.concatenate([_still(1)] + [_rep(X, 30)] * 4 + [_rep(Y, 30)] * 3)
    lock = RepeatAxisLock(RATE_HZ, target_rom_deg=30.0)
    seen = _feed(lock, gyro)
    # Its reps confirm the reach's axis: a movement about another axis after the set is
    # not followed (the lock gives way once, to a repeat, never to the next move).
    assert [how.split("+")[0] for _, how in seen] == ["reach"]
    assert lock.relocks_ == 0
    assert lock.axis_ is not None and abs(float(lock.axis_ @ X)) > 0.99


def test_strokes_before_the_lock_do_not_confirm_it():
    # Two small strokes about X, then a lift about X out and straight back in one burst:
    # the reach locks before the burst ends, and the three X strokes that then stand in a
    # row are not a repeat of the lock (they made it). The set about Y still re-locks.
    gyro = np.concatenate([_still(1), _stroke(X, 9, 1.0), _still(2), _stroke(-X, 9, 1.0),
                           _still(2), _stroke(X, 25, 1.0), _stroke(-X, 25, 1.0), _still(4)]
                          + [_rep(Y, 30)] * 3)
    lock = RepeatAxisLock(RATE_HZ, target_rom_deg=30.0)
    seen = _feed(lock, gyro)
    assert [how.split("+")[0] for _, how in seen] == ["reach", "repeat-after-reach"]
    assert lock.axis_ is not None and abs(float(lock.axis_ @ Y)) > 0.99


def test_without_relock_the_lift_keeps_the_axis():
    gyro = np.concatenate([_still(1), _rep(X, 25), _still(4)] + [_rep(Y, 30)] * 4)
    lock = RepeatAxisLock(RATE_HZ, target_rom_deg=30.0, relock=False)
    assert [how.split("+")[0] for _, how in _feed(lock, gyro)] == ["reach"]


def _kiosk(seed: int, chunk_n: int = KIOSK_CHUNK):
    c = case(seed)
    ex = CATALOGUE[c.ex_id]
    kiosk = SetAnalyzer(RATE_HZ, lifts=ex.lifts, target_rom_deg=ex.target_rom_deg)
    reps, trace = [], []
    for part in c.chunk.split(chunk_n):
        reps += kiosk.feed(part)
        trace.append(kiosk.angle_trace_deg_.copy())
    reps += kiosk.finish()
    return kiosk, reps, c, np.concatenate(trace)


# Seeds whose rest had a lift that locked the axis, 33-90° from the exercise's
# (bench.accuracy_rest_small --diag): before, each counted 1 rep in all.
@pytest.mark.parametrize("seed", [0, 1, 6, 7, 10, 25, 26, 43, 55, 63, 76])
def test_after_a_rest_lift_locked_the_set_is_measured_about_its_own_axis(seed: int):
    kiosk, reps, c, _ = _kiosk(seed)
    lock = kiosk._angle.axis
    assert lock.axis_ is not None
    err = np.degrees(np.arccos(min(1.0, abs(float(lock.axis_ @ c.axis)))))
    assert err < 20.0
    ends = np.array(c.rep_ends_s)
    in_set = [r.t_end for r in reps if r.t_end > c.set_start_s]
    matched = sorted(int(np.argmin(np.abs(ends - t))) for t in in_set)
    assert all(float(np.min(np.abs(ends - t))) <= 1.5 for t in in_set)
    # Every rep from the second on counts once. The first, before the movement repeated,
    # was measured about the lift's axis: it may be lost (it is, on these seeds).
    assert matched in (list(range(10)), list(range(1, 10)))
    assert lock.relocks_ == 1


def test_a_relock_does_not_depend_on_how_the_stream_is_chunked():
    k10, reps10, _, trace10 = _kiosk(6, 10)
    k23, reps23, _, trace23 = _kiosk(6, 23)
    assert k10._angle.axis.relocks_ == k23._angle.axis.relocks_ == 1
    assert [round(r.t_end, 6) for r in reps10] == [round(r.t_end, 6) for r in reps23]
    assert np.allclose(trace10[-500:], trace23[-500:])
