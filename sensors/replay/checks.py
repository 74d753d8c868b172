"""Plausibility checks on parsed samples: time order and units.

Pure functions over arrays; each failure is a ReplayError naming the file (and the line when
one line is at fault) and what to do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sensors.replay.errors import ReplayError
from sensors.types import STANDARD_GRAVITY_M_S2

# A still accelerometer reads 1 g; accept a wide band around it (a limb is rarely still for
# a whole second, and a cheap sensor can be off by 10 %).
STILL_G_MIN = 0.5
STILL_G_MAX = 2.0
# Human limb segments stay below ~20 rad/s (~1150 deg/s); above 35 rad/s the file is deg/s.
GYRO_MAX_RAD_S = 35.0
# How many of the largest gyro magnitudes to ignore as single-sample glitches.
GYRO_GLITCHES = 2
DEG_PER_RAD = 57.29577951308232


def check_time_increasing(path: Path, t_s: np.ndarray, lines: np.ndarray, what: str = "t") -> None:
    """Every time after the first must be larger than the one before it."""
    if t_s.size < 2:
        return
    bad = np.flatnonzero(np.diff(t_s) <= 0)
    if bad.size == 0:
        return
    i = int(bad[0]) + 1
    verb = "goes backwards" if t_s[i] < t_s[i - 1] else "repeats"
    raise ReplayError(
        path,
        int(lines[i]),
        f"time {verb} ({what}={t_s[i]:.6g} after {t_s[i - 1]:.6g} on line {int(lines[i - 1])}); "
        "times must increase: fix the file or cut it at this line",
    )


def stillest_magnitude(accel: np.ndarray, rate_hz: float) -> float:
    """Median |accel| over the stillest whole second of the file (the whole file if shorter)."""
    mag = np.sqrt(np.einsum("ij,ij->i", accel, accel))
    win = max(1, round(rate_hz))
    n = (mag.size // win) * win
    if n == 0:
        return float(np.median(mag))
    windows = mag[:n].reshape(-1, win)
    stillest = int(np.argmin(windows.std(axis=1)))
    return float(np.median(windows[stillest]))


def check_accel_unit(path: Path, accel: np.ndarray, rate_hz: float, unit: str) -> None:
    """Accelerometer must read ~1 g when still, in ``unit`` ("m/s^2" or "g")."""
    if accel.shape[0] == 0:
        return
    g = STANDARD_GRAVITY_M_S2 if unit == "m/s^2" else 1.0
    still = stillest_magnitude(accel, rate_hz)
    if STILL_G_MIN * g <= still <= STILL_G_MAX * g:
        return
    if unit == "m/s^2" and STILL_G_MIN <= still <= STILL_G_MAX:
        hint = (
            f"looks like g, expected m/s^2: multiply the accelerometer by {STANDARD_GRAVITY_M_S2}"
        )
    elif unit == "g" and STILL_G_MIN * STANDARD_GRAVITY_M_S2 <= still <= STILL_G_MAX * (
        STANDARD_GRAVITY_M_S2
    ):
        hint = f"looks like m/s^2, expected g: divide the accelerometer by {STANDARD_GRAVITY_M_S2}"
    else:
        hint = f"check the sensor's scale and convert the accelerometer to {unit}"
    raise ReplayError(
        path,
        None,
        f"accelerometer reads {still:.3g} {unit} while still, expected ~{g:.4g} {unit}; {hint}",
    )


def check_gyro_rad_s(path: Path, gyro: np.ndarray) -> None:
    """Gyroscope in rad/s never reaches 35 rad/s on a human limb; deg/s files do."""
    if gyro.shape[0] == 0:
        return
    mag = np.sqrt(np.einsum("ij,ij->i", gyro, gyro))
    k = min(GYRO_GLITCHES, mag.size - 1)
    peak = float(np.partition(mag, mag.size - 1 - k)[mag.size - 1 - k])
    if peak <= GYRO_MAX_RAD_S:
        return
    raise ReplayError(
        path,
        None,
        f"gyroscope peaks at {peak:.4g} rad/s, above the {GYRO_MAX_RAD_S:g} rad/s a limb can "
        f"reach: looks like deg/s, expected rad/s; divide the gyroscope by {DEG_PER_RAD:.4f}",
    )
