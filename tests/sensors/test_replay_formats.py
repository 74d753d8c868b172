"""Replay formats round-trip: project CSV, UCI Physical Therapy (crafted and real)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from sensors.replay import ReplayFormat, detect_format, load_recording, write_csv
from sensors.types import STANDARD_GRAVITY_M_S2, ImuChunk


def make_chunk(n: int = 500, rate_hz: float = 100.0, mag: bool = False, seed: int = 0) -> ImuChunk:
    rng = np.random.default_rng(seed)
    t = 12.5 + np.arange(n) / rate_hz
    accel = rng.normal(0.0, 0.3, (n, 3)) + [0.0, 0.0, STANDARD_GRAVITY_M_S2]
    gyro = rng.normal(0.0, 0.5, (n, 3))
    m = rng.normal(0.0, 1.0, (n, 3)) if mag else None
    return ImuChunk(t, accel, gyro, m)


def assert_same(a: ImuChunk, b: ImuChunk, tol: float = 1e-6) -> None:
    assert len(a) == len(b)
    np.testing.assert_allclose(a.t_s, b.t_s, atol=tol, rtol=0)
    np.testing.assert_allclose(a.accel_m_s2, b.accel_m_s2, atol=tol, rtol=0)
    np.testing.assert_allclose(a.gyro_rad_s, b.gyro_rad_s, atol=tol, rtol=0)
    assert (a.mag is None) == (b.mag is None)
    if a.mag is not None and b.mag is not None:
        np.testing.assert_allclose(a.mag, b.mag, atol=tol, rtol=0)


@pytest.mark.parametrize("name", ["walk.csv", "walk.csv.gz"])
@pytest.mark.parametrize("mag", [False, True])
def test_csv_round_trip(tmp_path: Path, name: str, mag: bool) -> None:
    chunk = make_chunk(mag=mag)
    path = write_csv(tmp_path / name, chunk)
    assert detect_format(path) == "csv"
    rec = load_recording(path)
    assert rec.fmt == ReplayFormat.CSV and rec.fmt == "csv"
    assert rec.rate_hz == pytest.approx(100.0)
    assert rec.nan_rows == 0
    assert rec.sensor_id == "walk"
    assert rec.path == path
    assert rec.duration_s == pytest.approx(4.99)
    assert_same(rec.chunk, chunk)


def test_csv_header_written_as_specified(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", make_chunk(n=3, mag=True))
    lines = path.read_text().splitlines()
    assert lines[0] == "t,ax,ay,az,gx,gy,gz,mx,my,mz"
    assert len(lines) == 4 and len(lines[1].split(",")) == 10


def test_csv_rate_override_and_column_order(tmp_path: Path) -> None:
    path = tmp_path / "reordered.csv"
    path.write_text(
        "gz,gy,gx,az,ay,ax,t\n0.3,0.2,0.1,9.8,0.0,0.5,0.0\n0.3,0.2,0.1,9.8,0.0,0.6,0.02\n"
    )
    rec = load_recording(path, rate_hz=60.0)
    assert rec.rate_hz == 60.0
    np.testing.assert_allclose(rec.chunk.t_s, [0.0, 0.02])
    np.testing.assert_allclose(rec.chunk.accel_m_s2[1], [0.6, 0.0, 9.8])
    np.testing.assert_allclose(rec.chunk.gyro_rad_s[0], [0.1, 0.2, 0.3])


def write_uci(path: Path, chunk: ImuChunk) -> None:
    assert chunk.mag is not None
    rows = [
        f"{i + 1};" + ";".join(f"{v:.6f}" for v in (*a, *g, *m))
        for i, (a, g, m) in enumerate(zip(chunk.accel_m_s2, chunk.gyro_rad_s, chunk.mag))
    ]
    text = "time index;acc_x;acc_y;acc_z;gyr_x;gyr_y;gyr_z;mag_x;mag_y;mag_z\n" + "\n".join(rows)
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text + "\n")


@pytest.mark.parametrize("name", ["test.txt", "test.txt.gz"])
def test_uci_round_trip(tmp_path: Path, name: str) -> None:
    chunk = make_chunk(n=200, rate_hz=25.0, mag=True)
    folder = tmp_path / "s9" / "e3" / "u4"
    folder.mkdir(parents=True)
    write_uci(folder / name, chunk)
    assert detect_format(folder / name) == "uci-pt"
    rec = load_recording(folder / name)
    assert rec.fmt == "uci-pt" and rec.rate_hz == 25.0 and rec.sensor_id == "s9-e3-u4"
    expected = ImuChunk(np.arange(200) / 25.0, chunk.accel_m_s2, chunk.gyro_rad_s, chunk.mag)
    assert_same(rec.chunk, expected)


def test_uci_rate_override_rescales_time_index(tmp_path: Path) -> None:
    chunk = make_chunk(n=50, rate_hz=25.0, mag=True)
    write_uci(tmp_path / "x.txt", chunk)
    rec = load_recording(tmp_path / "x.txt", rate_hz=50.0)
    assert rec.rate_hz == 50.0
    np.testing.assert_allclose(rec.chunk.t_s, np.arange(50) / 50.0)


def test_real_uci_file_loads(shared_data: Path) -> None:
    path = shared_data / "uci-pt/s1/e1/u2/test.txt.gz"
    assert detect_format(path) == ReplayFormat.UCI_PT
    rec = load_recording(path)
    assert len(rec.chunk) == 5949
    assert rec.rate_hz == 25.0
    assert rec.nan_rows == 0
    assert rec.chunk.mag is not None
    np.testing.assert_allclose(rec.chunk.t_s[:3], [0.0, 0.04, 0.08])
    assert rec.chunk.t_s[-1] == pytest.approx(5948 / 25.0)
    # first row of the file, as printed by zcat
    np.testing.assert_allclose(rec.chunk.accel_m_s2[0], [-9.268303, 2.981149, 0.738239])
    mag = np.linalg.norm(rec.chunk.accel_m_s2, axis=1)
    assert np.median(mag) == pytest.approx(9.8, abs=0.3)


def test_all_real_uci_files_pass_the_checks(shared_data: Path) -> None:
    files = sorted((shared_data / "uci-pt").glob("s1/e*/u*/test.txt.gz"))
    assert len(files) == 40
    for path in files:
        rec = load_recording(path)
        assert len(rec.chunk) > 1000 and rec.rate_hz == 25.0, path
