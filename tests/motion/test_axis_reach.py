"""With a ROM prescribed, one rep locks the axis (motion/axis_lock.py, "reach").

A stroke out and back about one axis whose excursion reaches ``reach_frac`` of the
prescribed ROM, seen as much by gravity (the segment tilts that far), locks at once: the
kiosk's first rep is not held until the movement repeats. Smaller moves, turning about the
vertical (gravity does not see it) and any move with no ROM prescribed still wait for the
repeat. Gyro and up vector streams are built here.
"""

from __future__ import annotations

import numpy as np

from motion.axis_lock import RepeatAxisLock
from sensors.sim.rotations import exp_so3

RATE_HZ = 50.0
BLOCK = 25  # samples in the lock's 0.5 s block at 50 Hz
X, Y, Z = np.eye(3)
UP = Z  # the sensor's up vector at rest: X and Y are horizontal axes, Z the vertical


def _stroke(axis: np.ndarray, deg: float, dur_s: float) -> np.ndarray:
    n = int(round(dur_s * RATE_HZ))
    u = (np.arange(n) + 0.5) / n
    speed = np.radians(deg) / dur_s * 2.0 * np.sin(np.pi * u) ** 2
    a = np.asarray(axis, float) / np.linalg.norm(axis)
    return speed[:, None] * a[None, :]


def _still(dur_s: float) -> np.ndarray:
    return np.zeros((int(round(dur_s * RATE_HZ)), 3))


def _ups(gyro: np.ndarray) -> np.ndarray:
    """The up vector in the sensor while it turns by ``gyro`` (one axis at a time)."""
    rotvec = np.cumsum(gyro, axis=0) / RATE_HZ
    return np.einsum("nij,j->ni", exp_so3(-rotvec), UP)


def _feed(lock: RepeatAxisLock, gyro: np.ndarray) -> float | None:
    up = _ups(gyro)
    for i in range(0, len(gyro) - BLOCK + 1, BLOCK):
        lock.add(gyro[i:i + BLOCK], up[i:i + BLOCK])
        if lock.close_block():
            return (i + BLOCK) / RATE_HZ
    return None


def _rep(axis: np.ndarray, deg: float) -> np.ndarray:
    return np.concatenate([_stroke(axis, deg, 1.5), _still(2), _stroke(-axis, deg, 1.5)])


def test_one_rep_reaching_most_of_the_rom_locks_before_its_pause_ends():
    gyro = np.concatenate([_still(1), _rep(X, 60), _still(10)])
    lock = RepeatAxisLock(RATE_HZ, target_rom_deg=70.0)
    at = _feed(lock, gyro)
    assert at is not None and at <= 1 + 1.5 + 2 + 1.5  # on the way back, not after it
    assert lock.how_.startswith("reach")
    assert lock.axis_ is not None and abs(float(lock.axis_ @ X)) > 0.999


def test_a_whole_rep_in_one_stroke_locks_too():
    gyro = np.concatenate([_still(1), _stroke(Y, 80, 1.5), _stroke(-Y, 80, 1.5), _still(10)])
    lock = RepeatAxisLock(RATE_HZ, target_rom_deg=90.0)
    at = _feed(lock, gyro)
    assert at is not None and at <= 4.0
    assert lock.axis_ is not None and abs(float(lock.axis_ @ Y)) > 0.999


def test_a_rep_from_the_first_sample_locks_too():
    # The patient pressed Start already moving: the pose before the stroke is the first one.
    gyro = np.concatenate([_rep(X, 60), _still(10)])
    lock = RepeatAxisLock(RATE_HZ, target_rom_deg=70.0)
    at = _feed(lock, gyro)
    assert at is not None and at <= 1.5 + 2 + 1.5
    assert lock.axis_ is not None and abs(float(lock.axis_ @ X)) > 0.999


def test_without_a_rom_the_same_rep_waits_for_the_movement_to_repeat():
    gyro = np.concatenate([_still(1), _rep(X, 60), _still(10)])
    assert _feed(RepeatAxisLock(RATE_HZ), gyro) is None


def test_a_move_short_of_the_rom_waits():
    # 50° of a prescribed 90°: below reach_frac (0.7), as an arm lift at rest often is.
    gyro = np.concatenate([_still(1), _rep(X, 50), _still(10)])
    assert _feed(RepeatAxisLock(RATE_HZ, target_rom_deg=90.0), gyro) is None


def test_a_move_that_does_not_come_back_waits():
    # Out 80° and only 20° back: a new pose, not a rep.
    gyro = np.concatenate([_still(1), _stroke(X, 80, 1.5), _still(2), _stroke(-X, 20, 1),
                           _still(10)])
    assert _feed(RepeatAxisLock(RATE_HZ, target_rom_deg=90.0), gyro) is None


def test_turning_about_the_vertical_waits_gravity_does_not_see_it():
    gyro = np.concatenate([_still(1), _rep(Z, 80), _still(10)])
    assert _feed(RepeatAxisLock(RATE_HZ, target_rom_deg=90.0), gyro) is None


def test_no_up_vector_no_reach_lock():
    gyro = np.concatenate([_still(1), _rep(X, 80), _still(10)])
    lock = RepeatAxisLock(RATE_HZ, target_rom_deg=90.0)
    for i in range(0, len(gyro) - BLOCK + 1, BLOCK):
        lock.add(gyro[i:i + BLOCK])
        assert not lock.close_block()
