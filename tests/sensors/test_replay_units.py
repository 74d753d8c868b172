"""Unit checks refuse only what is certainly wrong and warn, saying what they assumed, when
the evidence is weak (issue 11): real recordings all load; crafted files give known answers."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from sensors.replay import ReplayError, load_recording, write_csv
from sensors.replay.checks import still_second
from sensors.types import STANDARD_GRAVITY_M_S2, ImuChunk

RATE_HZ = 50.0
N = 500  # 10 s


def moving_accel(level: float, n: int = N) -> np.ndarray:
    """|a| = ``level`` throughout, the vector swinging (never still): a wrist that never stops."""
    t = np.arange(n) / RATE_HZ
    theta = 1.2 * np.sin(2 * np.pi * 0.6 * t)
    v = np.column_stack([0.3 * np.sin(2 * np.pi * 1.1 * t), np.sin(theta), np.cos(theta)])
    return level * v / np.linalg.norm(v, axis=1, keepdims=True)


def still_accel(level: float, n: int = N) -> np.ndarray:
    return np.tile([0.1 * level, 0.0, level], (n, 1))


def write(tmp_path: Path, accel: np.ndarray, gyro: np.ndarray | None = None) -> Path:
    n = accel.shape[0]
    gyro = np.full((n, 3), 0.02) if gyro is None else gyro
    return write_csv(tmp_path / "x.csv", ImuChunk(np.arange(n) / RATE_HZ, accel, gyro))


def refused(path: Path, match: str) -> str:
    with pytest.raises(ReplayError, match=match) as info:
        load_recording(path)
    assert info.value.path == path and info.value.line is None
    return str(info.value)


# --- real recordings: every one loads ----------------------------------------------------


def test_every_spar_file_loads_with_a_note_on_the_assumed_unit(
    shared_data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    files = sorted((shared_data / "spar").glob("*.csv.gz"))
    assert len(files) == 42
    with caplog.at_level(logging.WARNING, logger="sensors.replay"):
        recs = [load_recording(p) for p in files]
    for path, rec in zip(files, recs):
        assert rec.rate_hz == pytest.approx(50.0) and len(rec.chunk) > 900, path
        # smartwatch sets never stand still: the unit is assumed, and said so
        assert len(rec.notes) == 1, rec.notes
        assert rec.notes[0].startswith(
            f"{path.name}: no still period found; assuming m/s^2 from the median magnitude "
        )
    logged = [r.getMessage() for r in caplog.records]
    assert sum("no still period found" in m for m in logged) == 42


def test_the_most_vigorous_spar_set_is_accepted(shared_data: Path) -> None:
    rec = load_recording(shared_data / "spar/s03_FEL_R.csv.gz")  # refused before issue 11
    assert "median magnitude 24.2 m/s^2 (2.5 g)" in rec.notes[0]


def test_every_uci_unit_file_loads_without_warnings(shared_data: Path) -> None:
    files = sorted((shared_data / "uci-pt").glob("s*/e*/u*/*.txt.gz"))
    assert len(files) == 160  # 2 subjects x 8 exercises x 5 units x (test, template)
    for path in files:
        rec = load_recording(path)
        assert rec.rate_hz == 25.0 and rec.notes == (), (path, rec.notes)


# --- certainly wrong: refused ------------------------------------------------------------


def test_all_zero_accel_is_refused(tmp_path: Path) -> None:
    refused(write(tmp_path, np.zeros((N, 3))), "accelerometer reads zero on every sample")


def test_moving_file_in_g_declared_m_s2_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, moving_accel(1.1))
    assert still_second(moving_accel(1.1), RATE_HZ) is None  # weak evidence, yet certain
    refused(path, r"median magnitude is 1.1 m/s\^2 \(0.112 g\).*looks like g, expected m/s\^2: "
                  r"multiply the accelerometer by 9.80665")


def test_moving_magnitude_impossible_in_any_unit_is_refused(tmp_path: Path) -> None:
    refused(write(tmp_path, moving_accel(400.0)), r"impossible in m/s\^2 or g")


def test_still_file_in_g_declared_m_s2_is_refused(tmp_path: Path) -> None:
    refused(write(tmp_path, still_accel(1.0)), r"reads 1 m/s\^2 while still.*looks like g")


def test_still_magnitude_impossible_in_any_unit_is_refused(tmp_path: Path) -> None:
    refused(write(tmp_path, still_accel(4096.0)), r"while still.*impossible in m/s\^2 or g")


def test_gyro_in_deg_s_on_many_samples_is_refused(tmp_path: Path) -> None:
    gyro = np.zeros((N, 3))
    gyro[:, 1] = 90.0 * np.sin(2 * np.pi * 0.5 * np.arange(N) / RATE_HZ)  # 90 deg/s swings
    msg = refused(write(tmp_path, moving_accel(9.8), gyro), r"looks like deg/s, expected rad/s")
    assert "divide the gyroscope by 57.2958" in msg


def test_gyro_impossible_in_any_unit_is_refused(tmp_path: Path) -> None:
    gyro = np.zeros((N, 3))
    gyro[100:110, 0] = 5000.0
    refused(write(tmp_path, still_accel(9.81), gyro), r"impossible in rad/s or deg/s")


# --- weak evidence: accepted with a note that says what was assumed -----------------------


def test_never_still_plausible_median_is_assumed_and_noted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path, moving_accel(24.0))
    with caplog.at_level(logging.WARNING, logger="sensors.replay"):
        rec = load_recording(path)
    note = "x.csv: no still period found; assuming m/s^2 from the median magnitude 24 m/s^2 (2.4 g)"
    assert rec.notes == (note,)
    assert [r.getMessage() for r in caplog.records] == [note]


def test_ambiguous_median_says_the_other_unit_would_fit_too(tmp_path: Path) -> None:
    rec = load_recording(write(tmp_path, moving_accel(4.95)))
    assert len(rec.notes) == 1
    assert "assuming m/s^2 from the median magnitude 4.95" in rec.notes[0]
    assert rec.notes[0].endswith("it would be plausible in g too")


def test_still_file_in_m_s2_has_no_notes(tmp_path: Path) -> None:
    assert load_recording(write(tmp_path, still_accel(9.81))).notes == ()


def test_two_gyro_glitches_are_noted_not_refused(tmp_path: Path) -> None:
    gyro = np.full((N, 3), 0.02)
    gyro[[100, 300], 0] = 120.0
    rec = load_recording(write(tmp_path, still_accel(9.81), gyro))
    note = "x.csv: ignored 2 gyroscope sample(s) above 35 rad/s (max 120) as glitches; "
    assert rec.notes == (note + "assuming rad/s",)


def test_gyro_far_from_zero_while_still_is_noted(tmp_path: Path) -> None:
    # a still deg/s gyro reads its bias, a few units: suspicious in rad/s, not proof
    rec = load_recording(write(tmp_path, still_accel(9.81), np.tile([1.5, -0.8, 0.4], (N, 1))))
    assert len(rec.notes) == 1
    assert "gyroscope reads 1.75 rad/s while the accelerometer is still" in rec.notes[0]


def test_all_zero_gyro_is_noted(tmp_path: Path) -> None:
    rec = load_recording(write(tmp_path, still_accel(9.81), np.zeros((N, 3))))
    assert len(rec.notes) == 1 and "gyroscope reads zero on every sample" in rec.notes[0]


def test_still_second_is_unit_free() -> None:
    acc = moving_accel(9.81)
    acc[200:260] = [0.3, 0.1, 9.8]  # one still second and a bit, inside a moving file
    found = still_second(acc, RATE_HZ)
    assert found is not None and 200 <= found.start and found.stop <= 260
    scaled = still_second(acc / STANDARD_GRAVITY_M_S2, RATE_HZ)
    assert scaled == found
