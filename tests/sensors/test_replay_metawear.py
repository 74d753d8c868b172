"""MetaWear (MetaBase export) pairs at different rates land on the gyroscope's clock."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from sensors.replay import ReplayError, detect_format, load_recording
from sensors.types import STANDARD_GRAVITY_M_S2

EPOCH0_MS = 1_568_468_503_335  # 2019-09-14T13:41:43.335Z
DAY_MS = 86_400_000
DEVICE = "F1E55E2FE95F"
ACC_AMP_G, ACC_HZ = 0.2, 0.5
GYR_AMP_DPS, GYR_HZ = 90.0, 0.7


def acc_x_g(t: np.ndarray) -> np.ndarray:
    return ACC_AMP_G * np.sin(2 * np.pi * ACC_HZ * t)


def gyr_x_dps(t: np.ndarray) -> np.ndarray:
    return GYR_AMP_DPS * np.sin(2 * np.pi * GYR_HZ * t)


def write_sensor(
    path: Path,
    sensor: str,
    rate_hz: float,
    start_s: float,
    dur_s: float,
    shift_ms: int = 0,
    scale: float = 1.0,
) -> None:
    """A MetaBase-style file: true time start_s.., epoch shifted by ``shift_ms``."""
    n = round(dur_s * rate_hz)
    t = start_s + np.arange(n) / rate_hz
    epoch = EPOCH0_MS + np.round(t * 1000).astype(np.int64) + shift_ms
    if sensor == "Accelerometer":
        unit, xyz = "g", np.column_stack([acc_x_g(t), 0.1 + 0 * t, 1.0 + 0 * t]) * scale
    else:
        unit, xyz = "deg/s", np.column_stack([gyr_x_dps(t), -5.0 + 0 * t, 0 * t])
    lines = [
        f"epoch (ms),time (-13:00),elapsed (s),x-axis ({unit}),y-axis ({unit}),z-axis ({unit})"
    ]
    for e, x in zip(epoch, xyz):
        lines.append(
            f"{e},2019-09-14T13.41.{(e // 1000) % 60:02d}.{e % 1000:03d},{(e - epoch[0]) / 1000:.3f},"
            f"{x[0]:.4f},{x[1]:.4f},{x[2]:.4f}"
        )
    path.write_text("\n".join(lines) + "\n")


def name(sensor: str, rate_hz: float, device: str = DEVICE, stamp: str = "13.41.43.335") -> str:
    return f"knee_MetaWear_2019-09-14T{stamp}_{device}_{sensor}_{rate_hz:.3f}Hz_1.4.5.csv"


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    """Accel 100 Hz over 0..12 s with epochs two days late; gyro 50 Hz over 1..11 s."""
    acc = tmp_path / name("Accelerometer", 100.0)
    gyr = tmp_path / name("Gyroscope", 50.0)
    write_sensor(acc, "Accelerometer", 100.0, 0.0, 12.0, shift_ms=2 * DAY_MS)
    write_sensor(gyr, "Gyroscope", 50.0, 1.0, 10.0)
    return acc, gyr


@pytest.fixture
def short_pair(tmp_path: Path) -> tuple[Path, Path]:
    """Accel 100 Hz and gyro 50 Hz, both over 0..3 s: a pair for a test to spoil."""
    acc = tmp_path / name("Accelerometer", 100.0)
    write_sensor(acc, "Accelerometer", 100.0, 0.0, 3.0)
    gyr = tmp_path / name("Gyroscope", 50.0)
    write_sensor(gyr, "Gyroscope", 50.0, 0.0, 3.0)
    return acc, gyr


def test_pair_on_one_clock(pair: tuple[Path, Path], caplog: pytest.LogCaptureFixture) -> None:
    acc, gyr = pair
    assert detect_format(acc) == "metawear" and detect_format(gyr) == "metawear"
    with caplog.at_level(logging.WARNING, logger="sensors.replay"):
        rec = load_recording(acc)
    assert any("whole day" in r.getMessage() for r in caplog.records)
    assert any("-2 whole day" in n for n in rec.notes)
    assert rec.fmt == "metawear" and rec.rate_hz == 50.0 and rec.sensor_id == DEVICE
    c = rec.chunk
    assert len(c) == 500  # the gyro's samples, all inside the accelerometer's span
    np.testing.assert_allclose(np.diff(c.t_s), 0.02, atol=1e-9)
    assert c.t_s[0] == 0.0
    true_t = 1.0 + c.t_s
    # linear interpolation of a 0.5 Hz sine sampled at 100 Hz, 4 decimals in g
    np.testing.assert_allclose(
        c.accel_m_s2[:, 0], acc_x_g(true_t) * STANDARD_GRAVITY_M_S2, atol=2e-3
    )
    np.testing.assert_allclose(c.accel_m_s2[:, 2], STANDARD_GRAVITY_M_S2, atol=1e-9)
    np.testing.assert_allclose(c.gyro_rad_s[:, 0], np.radians(gyr_x_dps(true_t)), atol=1e-5)
    np.testing.assert_allclose(c.gyro_rad_s[:, 1], np.radians(-5.0), atol=1e-9)
    assert c.mag is None


def test_either_file_or_folder_gives_the_same(pair: tuple[Path, Path]) -> None:
    acc, gyr = pair
    a, g, d = (load_recording(p) for p in (acc, gyr, acc.parent))
    for other in (g, d):
        np.testing.assert_array_equal(a.chunk.t_s, other.chunk.t_s)
        np.testing.assert_array_equal(a.chunk.accel_m_s2, other.chunk.accel_m_s2)
    assert detect_format(acc.parent) == "metawear"
    assert a.sensor_id == g.sensor_id == d.sensor_id == DEVICE


@pytest.mark.parametrize("gyro_hz", [12.5, 200.0])
def test_faster_and_slower_gyro(tmp_path: Path, gyro_hz: float) -> None:
    write_sensor(tmp_path / name("Accelerometer", 100.0), "Accelerometer", 100.0, 0.5, 6.0)
    gyr = tmp_path / name("Gyroscope", gyro_hz)
    write_sensor(gyr, "Gyroscope", gyro_hz, 0.0, 5.0)
    rec = load_recording(gyr, rate_hz=None)
    c = rec.chunk
    assert rec.rate_hz == gyro_hz
    # overlap is 0.5 .. 5.0 - 1/gyro_hz: gyro samples in there
    t_gyro = np.arange(round(5.0 * gyro_hz)) / gyro_hz
    expected_t = t_gyro[t_gyro >= 0.5 - 1e-9]
    assert len(c) == expected_t.size
    np.testing.assert_allclose(c.t_s, expected_t - expected_t[0], atol=1e-9)
    np.testing.assert_allclose(
        c.accel_m_s2[:, 0], acc_x_g(expected_t) * STANDARD_GRAVITY_M_S2, atol=2e-3
    )


def test_rate_override_wins(pair: tuple[Path, Path]) -> None:
    assert load_recording(pair[0], rate_hz=49.5).rate_hz == 49.5


def test_non_overlapping_epochs_fall_back_to_elapsed(tmp_path: Path) -> None:
    acc = tmp_path / name("Accelerometer", 100.0)
    write_sensor(acc, "Accelerometer", 100.0, 0.0, 4.0, shift_ms=5 * 3_600_000)  # 5 h off
    write_sensor(tmp_path / name("Gyroscope", 50.0), "Gyroscope", 50.0, 0.0, 4.0)
    rec = load_recording(acc)
    assert any("elapsed" in n for n in rec.notes)
    assert len(rec.chunk) == 200  # gyro 0 .. 3.98 s all within accel 0 .. 3.99 s
    np.testing.assert_allclose(
        rec.chunk.accel_m_s2[:, 0], acc_x_g(rec.chunk.t_s) * STANDARD_GRAVITY_M_S2, atol=2e-3
    )


def test_accel_in_m_s2_is_a_unit_error(tmp_path: Path) -> None:
    acc = tmp_path / name("Accelerometer", 100.0)
    write_sensor(acc, "Accelerometer", 100.0, 0.0, 3.0, scale=STANDARD_GRAVITY_M_S2)
    write_sensor(tmp_path / name("Gyroscope", 50.0), "Gyroscope", 50.0, 0.0, 3.0)
    with pytest.raises(ReplayError, match=r"looks like m/s\^2, expected g") as info:
        load_recording(acc)
    assert info.value.path == acc and info.value.line is None


def test_missing_partner(tmp_path: Path) -> None:
    acc = tmp_path / name("Accelerometer", 100.0)
    write_sensor(acc, "Accelerometer", 100.0, 0.0, 3.0)
    with pytest.raises(ReplayError, match="found 0 matching _Gyroscope_ files") as info:
        load_recording(acc)
    assert info.value.line is None
    with pytest.raises(ReplayError, match="folder holds 1 MetaWear accelerometer and 0 gyro"):
        load_recording(tmp_path)


def test_partner_found_by_device_when_stamps_differ(tmp_path: Path) -> None:
    acc = tmp_path / name("Accelerometer", 100.0, stamp="13.41.43.335")
    write_sensor(acc, "Accelerometer", 100.0, 0.0, 3.0)
    write_sensor(
        tmp_path / name("Gyroscope", 50.0, stamp="13.41.43.337"), "Gyroscope", 50.0, 0.0, 3.0
    )
    write_sensor(
        tmp_path / name("Gyroscope", 50.0, device="AAAAAAAAAAAA"), "Gyroscope", 50.0, 0.0, 3.0
    )
    assert len(load_recording(acc).chunk) > 100


def test_wrong_metawear_header(short_pair: tuple[Path, Path]) -> None:
    acc, gyr = short_pair
    text = gyr.read_text().replace("x-axis (deg/s)", "x-axis (rad/s)", 1)
    gyr.write_text(text)
    with pytest.raises(ReplayError, match="is not the metawear gyroscope format's") as info:
        load_recording(acc)
    assert info.value.path == gyr and info.value.line == 1
    gyr.write_text(text.replace(",x-axis (rad/s)", "", 1))
    with pytest.raises(ReplayError, match=r"missing column\(s\) x-axis \(deg/s\)"):
        load_recording(acc)


def test_metawear_time_backwards_names_file_and_line(short_pair: tuple[Path, Path]) -> None:
    acc, gyr = short_pair
    lines = gyr.read_text().splitlines()
    lines[40], lines[41] = lines[41], lines[40]
    gyr.write_text("\n".join(lines))
    with pytest.raises(ReplayError, match="time goes backwards") as info:
        load_recording(acc)
    assert info.value.path == gyr and info.value.line == 42


def test_metawear_nan_rows_counted(short_pair: tuple[Path, Path]) -> None:
    acc, gyr = short_pair
    lines = acc.read_text().splitlines()
    lines[10] = ",".join(lines[10].split(",")[:3] + ["", "", ""])
    acc.write_text("\n".join(lines))
    rec = load_recording(gyr)
    assert rec.nan_rows == 1


# --- pairing: the exact counterpart first (issue 11) ------------------------------------

STEM = f"knee_MetaWear_2019-09-14T13.41.43.335_{DEVICE}"


def test_exact_counterpart_wins_over_a_re_export_beside_it(tmp_path: Path) -> None:
    acc = tmp_path / f"{STEM}_Accelerometer_100.000Hz_1.4.4.csv"
    gyr = tmp_path / f"{STEM}_Gyroscope_50.000Hz_1.4.4.csv"
    again = tmp_path / f"{STEM}_Gyroscope_50.000Hz_1.4.41.csv"  # re-export, shorter
    write_sensor(acc, "Accelerometer", 100.0, 0.0, 6.0)
    write_sensor(gyr, "Gyroscope", 50.0, 0.0, 5.0)
    write_sensor(again, "Gyroscope", 50.0, 0.0, 2.0)
    assert len(load_recording(acc).chunk) == 250  # the 5 s gyroscope, not the 2 s one
    assert len(load_recording(gyr).chunk) == 250
    # the re-export has no exact counterpart: the one accelerometer of its prefix
    assert len(load_recording(again).chunk) == 100


def test_ambiguous_without_an_exact_counterpart_is_still_an_error(tmp_path: Path) -> None:
    acc = tmp_path / f"{STEM}_Accelerometer_100.000Hz_1.4.5.csv"
    write_sensor(acc, "Accelerometer", 100.0, 0.0, 3.0)
    for version in ("1.4.4", "1.4.41"):
        write_sensor(tmp_path / f"{STEM}_Gyroscope_50.000Hz_{version}.csv", "Gyroscope", 50.0,
                     0.0, 3.0)
    with pytest.raises(ReplayError, match="found 2 matching _Gyroscope_ files"):
        load_recording(acc)


def test_never_still_accelerometer_in_g_is_noted(pair: tuple[Path, Path]) -> None:
    # the fixture's accelerometer swings 0.2 g all the time: the unit is assumed, and said so
    notes = load_recording(pair[0]).notes
    assert notes[0] == (f"{pair[0].name}: no still period found; assuming g from the median "
                        "magnitude 1.01 g")
