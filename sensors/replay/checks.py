"""Plausibility checks on parsed samples: time order and units.

Pure functions over arrays. Unit checks weigh their evidence: a file is refused (a
ReplayError naming the file and what to do) only when it is certainly wrong — an
accelerometer that reads zero, a still second far from 1 g, a median magnitude no worn
sensor can keep up, a gyroscope clearly in deg/s. When the evidence is weak (no still
second, as in smartwatch sets that never stop; a few gyro spikes) the check returns a
note saying what it assumed, and the loader carries on: a warning can be read and
judged, a refused valid recording cannot be replayed at all.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sensors.replay.errors import ReplayError
from sensors.types import STANDARD_GRAVITY_M_S2

# One g in each accelerometer unit a file may declare.
G_IN = {"m/s^2": STANDARD_GRAVITY_M_S2, "g": 1.0}
# A still accelerometer reads 1 g; accept a wide band around it (a cheap sensor can be off
# by 10 %, and a "still" second may still hold a slow tilt).
STILL_G_MIN = 0.5
STILL_G_MAX = 2.0
# A second is still when no axis moves by more than 2 % of the magnitude (std). Seen on
# the shared data: UCI-PT Xsens units reach 0.07-0.7 % in their stillest second, SPAR
# smartwatch sets (continuous reps) never go below 3 %.
STILL_AXIS_STD_FRAC = 0.02
# Without a still second, the median |a| of a worn sensor over a set: its mean cannot fall
# below ~1 g (gravity averaged over a movement that returns to its start), and the most
# vigorous SPAR set has a median of 2.5 g. Outside 0.5-5 g no worn sensor can be.
MOVING_G_MIN = 0.5
MOVING_G_MAX = 5.0
# Human limb segments stay below ~20 rad/s (~1150 deg/s); above 35 rad/s the file is deg/s.
GYRO_MAX_RAD_S = 35.0
# Up to this many samples above the limit are single-sample glitches, not a unit error.
GYRO_GLITCHES = 2
DEG_PER_RAD = 57.29577951308232
# A still gyro in rad/s reads its bias, well under 0.1 rad/s (UCI-PT: <= 0.07); in deg/s it
# reads a few units. Above this while the accelerometer is still, say so (not proof: bias).
GYRO_STILL_MAX_RAD_S = 0.5


# Sample rates replay accepts, given (--rate-hz) or found from the times: no body-worn IMU
# logs below 1 Hz (a rep would be one sample) or above 2 kHz (MetaWear: 1.6 kHz max).
MIN_RATE_HZ = 1.0
MAX_RATE_HZ = 2000.0
# The longest stretch without samples inside one recording. Longer is two recordings (or
# times that are not seconds): 1e12 s between rows gave a 0.0 Hz rate and an 89 deg "rep".
MAX_GAP_S = 3600.0


def check_rate_hz(path: Path, rate_hz: float, given: bool) -> None:
    """A sample rate within MIN_RATE_HZ..MAX_RATE_HZ; ``given`` says it came from the user."""
    if MIN_RATE_HZ <= rate_hz <= MAX_RATE_HZ:  # False for NaN too
        return
    if given:
        what = ("is not a positive number" if not rate_hz > 0 else
                f"is outside {MIN_RATE_HZ:g}..{MAX_RATE_HZ:g} Hz")
        raise ReplayError(path, None, f"rate {rate_hz!r} Hz {what}; pass a real sample rate")
    raise ReplayError(
        path, None,
        f"sample rate {rate_hz:.3g} Hz (from the times in the file) is outside "
        f"{MIN_RATE_HZ:g}..{MAX_RATE_HZ:g} Hz: are the times in seconds? fix the times or "
        "pass --rate-hz")


def check_sample_gaps(path: Path, t_s: np.ndarray) -> None:
    """No two consecutive samples more than MAX_GAP_S apart."""
    if t_s.size < 2:
        return
    dt = np.diff(t_s)
    i = int(np.argmax(dt))
    if dt[i] <= MAX_GAP_S:  # also False for NaN: times are checked finite and increasing
        return
    raise ReplayError(
        path, None,
        f"no samples for {dt[i]:.3g} s between t={t_s[i]:.6g} s and t={t_s[i + 1]:.6g} s "
        f"(sample {i + 2}); more than {MAX_GAP_S:g} s is not one recording: cut the file "
        "there or fix its times")


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


def magnitudes(xyz: np.ndarray) -> np.ndarray:
    return np.sqrt(np.einsum("ij,ij->i", xyz, xyz))


def still_second(accel: np.ndarray, rate_hz: float, mag: np.ndarray | None = None
                 ) -> slice | None:
    """The stillest whole second of the file, if it is still at all (see STILL_AXIS_STD_FRAC).

    Judged per axis relative to the magnitude, so it does not depend on the unit, and a
    slow rotation (constant magnitude, changing axes) is not mistaken for stillness.
    ``mag``: ``magnitudes(accel)`` when the caller has it already.
    """
    win = max(2, round(rate_hz))
    n = (accel.shape[0] // win) * win
    if n == 0:
        return None
    # Sums, not np.std/np.median per window: the whole check then takes ~20 ms instead of
    # ~37 ms on an hour at 100 Hz (replay of that hour is ~0.5 s). The means by reduceat
    # over the rows: windows.mean(axis=1) on the parsed table's column view took 3.7 ms of
    # the check's 9 (reduceat 0.9 ms; the same sums to the last bit or two).
    windows = accel[:n].reshape(-1, win, 3)
    mean = np.add.reduceat(accel[:n], np.arange(0, n, win), axis=0) / win
    var = np.einsum("wij,wij->wj", windows, windows) / win - mean * mean
    spread = np.sqrt(np.maximum(var, 0.0)).max(axis=1)
    level = (magnitudes(accel[:n]) if mag is None else mag[:n]).reshape(-1, win).mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(level > 0, spread / level, np.inf)
    best = int(np.argmin(frac))
    if not frac[best] <= STILL_AXIS_STD_FRAC:
        return None
    return slice(best * win, (best + 1) * win)


def _other(unit: str) -> str:
    return "g" if unit == "m/s^2" else "m/s^2"


def _convert_hint(unit: str, mag: float, lo: float, hi: float) -> str:
    """What to do about a magnitude wrong in ``unit``: convert from the other unit, or rescale."""
    other = _other(unit)
    if lo <= mag / G_IN[other] <= hi:
        verb = "multiply" if unit == "m/s^2" else "divide"
        return (f"looks like {other}, expected {unit}: {verb} the accelerometer by "
                f"{STANDARD_GRAVITY_M_S2}")
    return (f"impossible in m/s^2 or g: check the sensor's scale and convert the "
            f"accelerometer to {unit}")


def check_accel_unit(path: Path, accel: np.ndarray, rate_hz: float, unit: str) -> list[str]:
    """Accelerometer must read ~1 g in ``unit`` ("m/s^2" or "g"); returns notes (warnings).

    Strong evidence is a still second: it must read 0.5-2 g. Weak evidence is the whole
    file's median magnitude: outside 0.5-5 g is refused, inside it the file is accepted
    with a note saying the unit was assumed.
    """
    if accel.shape[0] == 0:
        return []
    mag = magnitudes(accel)
    return _accel_notes(path, mag, unit, still_second(accel, rate_hz, mag))


def _accel_notes(path: Path, mag: np.ndarray, unit: str, still: slice | None) -> list[str]:
    """``mag``: the accelerometer's magnitudes, in ``unit``."""
    g = G_IN[unit]
    if not mag.any():
        raise ReplayError(
            path, None, "accelerometer reads zero on every sample: the sensor sent no "
            "acceleration; export the accelerometer columns again or re-record"
        )
    if still is not None:
        level = float(np.median(mag[still]))
        if STILL_G_MIN <= level / g <= STILL_G_MAX:
            return []
        raise ReplayError(
            path, None, f"accelerometer reads {level:.3g} {unit} while still, expected "
            f"~{g:.4g} {unit}; {_convert_hint(unit, level, STILL_G_MIN, STILL_G_MAX)}",
        )
    median = float(np.median(mag))
    if not MOVING_G_MIN <= median / g <= MOVING_G_MAX:
        raise ReplayError(
            path, None, f"accelerometer's median magnitude is {median:.3g} {unit} "
            f"({median / g:.3g} g) and it is never still: no worn sensor reads that; "
            f"{_convert_hint(unit, median, MOVING_G_MIN, MOVING_G_MAX)}",
        )
    in_g = f" ({median / g:.2g} g)" if unit != "g" else ""
    note = (f"{path.name}: no still period found; assuming {unit} from the median "
            f"magnitude {median:.3g} {unit}{in_g}")
    if MOVING_G_MIN <= median / G_IN[_other(unit)] <= MOVING_G_MAX:
        note += f"; it would be plausible in {_other(unit)} too"
    return [note]


def check_gyro_rad_s(path: Path, gyro: np.ndarray, still: slice | None = None) -> list[str]:
    """Gyroscope in rad/s never reaches 35 rad/s on a human limb; deg/s files do.

    More than GYRO_GLITCHES samples above that is refused; fewer are noted as glitches.
    With a still second (``still``, from the accelerometer) a gyro reading over 0.5 rad/s
    is noted too: a deg/s file or a large bias, not certain enough to refuse.
    """
    if gyro.shape[0] == 0:
        return []
    mag = magnitudes(gyro)
    if not mag.any():
        note = (f"{path.name}: gyroscope reads zero on every sample; assuming it was not "
                "recorded (angles then come from the accelerometer's tilt alone)")
        return [note]
    above = int(np.count_nonzero(mag > GYRO_MAX_RAD_S))
    if above > GYRO_GLITCHES:
        k = GYRO_GLITCHES
        peak = float(np.partition(mag, mag.size - 1 - k)[mag.size - 1 - k])
        if peak > GYRO_MAX_RAD_S * DEG_PER_RAD:
            what = ("impossible in rad/s or deg/s: check the sensor's scale and convert the "
                    "gyroscope to rad/s")
        else:
            what = (f"looks like deg/s, expected rad/s; divide the gyroscope by "
                    f"{DEG_PER_RAD:.4f}")
        raise ReplayError(
            path, None, f"gyroscope reads over {GYRO_MAX_RAD_S:g} rad/s (a limb's limit) on "
            f"{above} samples (third highest {peak:.4g} rad/s): {what}",
        )
    notes = []
    if above:
        notes.append(f"{path.name}: ignored {above} gyroscope sample(s) above "
                     f"{GYRO_MAX_RAD_S:g} rad/s (max {float(mag.max()):.4g}) as glitches; "
                     "assuming rad/s")
    if still is not None:
        level = float(np.median(mag[still]))
        if level > GYRO_STILL_MAX_RAD_S:
            notes.append(f"{path.name}: gyroscope reads {level:.3g} rad/s while the "
                         "accelerometer is still (a large bias, or deg/s?); assuming rad/s")
    return notes


def check_imu_units(
    path: Path, accel_m_s2: np.ndarray, gyro_rad_s: np.ndarray, rate_hz: float
) -> tuple[str, ...]:
    """Both unit checks of a file in project units, sharing one search for a still second."""
    if accel_m_s2.shape[0] == 0:
        return ()
    mag = magnitudes(accel_m_s2)  # once for both the still second and the level checks
    still = still_second(accel_m_s2, rate_hz, mag)
    notes = _accel_notes(path, mag, "m/s^2", still)
    notes += check_gyro_rad_s(path, gyro_rad_s, still)
    return tuple(notes)
