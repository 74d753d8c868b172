"""Every kind of bad input gives a one-line ReplayError naming the file and the line."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pytest

from sensors.replay import ReplayError, load_recording, write_csv
from sensors.replay.fastparse import parse_fixed_decimals
from sensors.source import SensorError
from sensors.types import ImuChunk

HEADER = "t,ax,ay,az,gx,gy,gz"


def rows(n: int, t0: float = 0.0, accel_z: float = 9.81, gyro: float = 0.01) -> list[str]:
    return [f"{t0 + i * 0.01:.2f},0.1,0.2,{accel_z},{gyro},0.0,-{gyro}" for i in range(n)]


def write(tmp_path: Path, text: str, name: str = "x.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def expect(path: Path, line: int | None, match: str, **kw: object) -> ReplayError:
    with pytest.raises(ReplayError, match=match) as info:
        load_recording(path, **kw)  # type: ignore[arg-type]
    err = info.value
    assert isinstance(err, SensorError)
    assert err.path == path
    assert err.line == line
    msg = str(err)
    assert "\n" not in msg
    assert msg.startswith(f"{path}:{line}: " if line is not None else f"{path}: ")
    return err


def test_missing_file(tmp_path: Path) -> None:
    expect(tmp_path / "nope.csv", None, "not found")
    expect(tmp_path / "nope.csv", None, "not found", fmt="csv")


def test_unreadable_file(tmp_path: Path) -> None:
    folder = tmp_path / "x.csv"
    folder.mkdir()
    expect(folder, None, "is a folder, not a recording file", fmt="csv")
    expect(folder, None, "folder holds no MetaWear")
    if os.geteuid() != 0:  # root reads any file whatever its mode
        path = write(tmp_path, "\n".join([HEADER, *rows(3)]), "locked.csv")
        path.chmod(0)
        expect(path, None, "cannot read", fmt="csv")


def test_damaged_gzip(tmp_path: Path) -> None:
    good = gzip.compress("\n".join([HEADER, *rows(50)]).encode())
    path = tmp_path / "x.csv.gz"
    path.write_bytes(good[: len(good) // 2])
    expect(path, None, "gzip", fmt="csv")


def test_missing_column(tmp_path: Path) -> None:
    path = write(tmp_path, "t,ax,ay,az,gx,gy\n0,0,0,9.8,0,0\n")
    expect(path, 1, r"missing column\(s\) gz of the csv format \(expected t,ax")


def test_partial_magnetometer_is_a_missing_column(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + ",mx\n0,0,0,9.8,0,0,0,1\n")
    expect(path, 1, r"missing column\(s\) my,mz")


def test_unknown_format(tmp_path: Path) -> None:
    path = write(tmp_path, "time,x,y,z\n0,1,2,3\n")
    expect(path, 1, "unknown format: header 'time,x,y,z'")


def test_unknown_format_name(tmp_path: Path) -> None:
    path = write(tmp_path, "\n".join([HEADER, *rows(3)]))
    expect(path, None, "unknown format 'xsens'; use one of csv, uci-pt, metawear", fmt="xsens")


def test_header_not_the_formats(tmp_path: Path) -> None:
    uci = (
        "time index;acc_x;acc_y;acc_z;gyr_x;gyr_y;gyr_z;mag_x;mag_y;mag_z\n1;0;0;9.8;0;0;0;1;0;0\n"
    )
    path = write(tmp_path, uci, "u.txt")
    expect(path, 1, r"header 'time index;acc_x.*' is not the csv format's \(expected", fmt="csv")
    csv = write(tmp_path, "\n".join([HEADER, *rows(3)]), "c.csv")
    expect(csv, 1, "is not the uci-pt format's", fmt="uci-pt")
    expect(csv, None, "a MetaWear file name must contain _Accelerometer_", fmt="metawear")


def test_accel_in_g(tmp_path: Path) -> None:
    path = write(tmp_path, "\n".join([HEADER, *rows(300, accel_z=1.0)]))
    expect(path, None, r"reads 1.* m/s\^2 while still.*looks like g, expected m/s\^2")


def test_accel_nonsense_scale(tmp_path: Path) -> None:
    path = write(tmp_path, "\n".join([HEADER, *rows(300, accel_z=4096.0)]))
    expect(path, None, r"check the sensor's scale")


def test_stillest_second_decides_not_the_motion(tmp_path: Path) -> None:
    # Violent motion most of the time, one still second at 1 g: the file is fine.
    n = 500
    t = np.arange(n) * 0.01
    rng = np.random.default_rng(1)
    acc = rng.normal(0.0, 15.0, (n, 3))
    acc[200:300] = [0.0, 0.0, 9.81]
    body = "\n".join(f"{ti:.2f},{a[0]:.4f},{a[1]:.4f},{a[2]:.4f},0,0,0" for ti, a in zip(t, acc))
    rec = load_recording(write(tmp_path, HEADER + "\n" + body))
    assert len(rec.chunk) == n


def test_gyro_in_deg_s(tmp_path: Path) -> None:
    lines = rows(300)
    lines[100] = "1.00,0.1,0.2,9.81,90.0,20.0,0.0"
    lines[101] = "1.01,0.1,0.2,9.81,120.0,20.0,0.0"
    lines[102] = "1.02,0.1,0.2,9.81,150.0,20.0,0.0"
    path = write(tmp_path, "\n".join([HEADER, *lines]))
    expect(path, None, r"looks like deg/s, expected rad/s")


def test_single_gyro_glitch_is_not_a_unit_error(tmp_path: Path) -> None:
    lines = rows(300)
    lines[100] = "1.00,0.1,0.2,9.81,90.0,20.0,0.0"
    rec = load_recording(write(tmp_path, "\n".join([HEADER, *lines])))
    assert len(rec.chunk) == 300


def test_time_going_backwards_names_the_line(tmp_path: Path) -> None:
    lines = rows(20)
    lines[9] = "0.05,0.1,0.2,9.81,0.01,0,0"  # data row 10 is file line 11
    path = write(tmp_path, "\n".join([HEADER, *lines]))
    expect(path, 11, r"time goes backwards \(t=0.05 after 0.08 on line 10\)")


def test_time_repeating_names_the_line(tmp_path: Path) -> None:
    lines = rows(20)
    lines[5] = lines[4]
    path = write(tmp_path, "\n".join([HEADER, *lines]))
    expect(path, 7, r"time repeats")


def test_uci_time_index_backwards(tmp_path: Path) -> None:
    head = "time index;acc_x;acc_y;acc_z;gyr_x;gyr_y;gyr_z;mag_x;mag_y;mag_z"
    body = [f"{n};0;0;9.8;0;0;0;1;0;0" for n in (1, 2, 3, 2, 5)]
    path = write(tmp_path, "\n".join([head, *body]), "t.txt")
    expect(path, 5, r"time goes backwards \(time index=2 after 3")


@pytest.mark.parametrize("bad", ["abc", "1.2.3", "0x1f", "9.8m"])
def test_non_numeric_value_names_the_line(tmp_path: Path, bad: str) -> None:
    lines = rows(30)
    lines[20] = f"0.20,0.1,{bad},9.81,0.01,0,0"
    path = write(tmp_path, "\n".join([HEADER, *lines]))
    expect(path, 22, rf"value '{bad}' in column 'ay' is not a number")


def test_infinite_value_names_the_line(tmp_path: Path) -> None:
    lines = rows(30)
    lines[3] = "0.03,inf,0.2,9.81,0.01,0,0"
    expect(write(tmp_path, "\n".join([HEADER, *lines])), 5, r"'inf' in column 'ax' is not finite")


def test_wrong_field_count_names_the_line(tmp_path: Path) -> None:
    lines = rows(30)
    lines[7] = "0.07,0.1,0.2,9.81,0.01,0"
    expect(write(tmp_path, "\n".join([HEADER, *lines])), 9, r"row has 6 fields, the header has 7")


def test_empty_file(tmp_path: Path) -> None:
    expect(write(tmp_path, ""), None, "file is empty")
    expect(write(tmp_path, "\n\n", "blank.csv"), None, "file is empty", fmt="csv")


def test_header_only(tmp_path: Path) -> None:
    expect(write(tmp_path, HEADER + "\n"), 1, "header only, no data rows")


def test_all_rows_nan(tmp_path: Path) -> None:
    expect(write(tmp_path, HEADER + "\nnan,,,,,,\n,,,,,,\n"), 1, "no usable data rows")


def test_bad_rate_override(tmp_path: Path) -> None:
    path = write(tmp_path, "\n".join([HEADER, *rows(3)]))
    expect(path, None, "not a positive number", rate_hz=0.0)


def test_nan_and_empty_rows_are_skipped_and_counted(tmp_path: Path) -> None:
    lines = rows(40)
    lines[3] = "0.03,nan,0.2,9.81,0.01,0,0"
    lines[10] = "0.10,0.1,,9.81,0.01,0,0"
    lines[11] = ""
    lines[12] = ",,,,,,"
    path = write(tmp_path, "\n".join([HEADER, *lines]) + "\n\n")
    rec = load_recording(path)
    assert rec.nan_rows == 4
    assert len(rec.chunk) == 36
    assert not np.isnan(rec.chunk.accel_m_s2).any()
    assert 0.03 not in np.round(rec.chunk.t_s, 2)


def test_nan_rows_only_fast_path(tmp_path: Path) -> None:
    lines = rows(40)
    lines[3] = "0.03,NaN,0.2,9.81,0.01,0,0"
    rec = load_recording(write(tmp_path, "\n".join([HEADER, *lines])))
    assert rec.nan_rows == 1 and len(rec.chunk) == 39


def test_line_numbers_stay_right_after_skipped_rows(tmp_path: Path) -> None:
    lines = rows(40)
    lines[3] = "0.03,nan,0.2,9.81,0.01,0,0"
    lines[4] = ""
    lines[30] = "0.01,0.1,0.2,9.81,0.01,0,0"  # file line 32
    expect(write(tmp_path, "\n".join([HEADER, *lines])), 32, "time goes backwards")


def test_gaps_in_time_are_not_errors(tmp_path: Path) -> None:
    lines = rows(10) + rows(10, t0=5.0)
    rec = load_recording(write(tmp_path, "\n".join([HEADER, *lines])))
    assert len(rec.chunk) == 20 and rec.rate_hz == pytest.approx(100.0)


def test_crlf_and_bom_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "win.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join([HEADER, *rows(10)]).encode() + b"\r\n")
    rec = load_recording(path)
    assert len(rec.chunk) == 10 and rec.nan_rows == 0


def test_fast_path_names_the_line_too(tmp_path: Path) -> None:
    # write_csv output takes the fixed-decimal fast path; row 123 (line 125) jumps back
    n = 300
    t = np.arange(n) * 0.01
    t[123] = 0.5
    chunk = ImuChunk(t, np.tile([0.0, 0.0, 9.81], (n, 1)), np.zeros((n, 3)))
    path = write_csv(tmp_path / "fast.csv", chunk)
    body = path.read_bytes().split(b"\n", 1)[1]
    assert parse_fixed_decimals(body, ",", 7) is not None  # really the fast path
    expect(path, 125, r"time goes backwards \(t=0.5 after 1.22 on line 124\)")
