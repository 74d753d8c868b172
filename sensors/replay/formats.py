"""The two plain-table formats: the project CSV and the UCI Physical Therapy layout.

Project CSV (written by :func:`sensors.replay.writer.write_csv`): header
``t,ax,ay,az,gx,gy,gz[,mx,my,mz]``; seconds, m/s^2, rad/s.

UCI Physical Therapy Exercises dataset (Yurtman & Barshan, doi 10.24432/C5JK60; layout from
shared/data/README.md): ``.txt`` or ``.txt.gz``, ``;``-separated, header
``time index;acc_x;acc_y;acc_z;gyr_x;gyr_y;gyr_z;mag_x;mag_y;mag_z``; index n = 1, 2, ...,
t = (n - 1) / 25 s; m/s^2, rad/s, magnetometer normalised.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from sensors.replay.checks import check_imu_units, check_time_increasing
from sensors.replay.errors import ReplayError
from sensors.replay.table import HEADER_LINE, Table, load_table
from sensors.types import ImuChunk


class ReplayFormat(StrEnum):
    """File formats replay reads. Values are what users type (``--fmt``)."""

    CSV = "csv"
    UCI_PT = "uci-pt"
    METAWEAR = "metawear"


CSV_COLUMNS = ("t", "ax", "ay", "az", "gx", "gy", "gz")
CSV_MAG = ("mx", "my", "mz")
CSV_EXPECTED = "t,ax,ay,az,gx,gy,gz[,mx,my,mz]"

UCI_COLUMNS = ("time index", "acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z")
UCI_MAG = ("mag_x", "mag_y", "mag_z")
UCI_EXPECTED = "time index;acc_x;acc_y;acc_z;gyr_x;gyr_y;gyr_z;mag_x;mag_y;mag_z"
UCI_RATE_HZ = 25.0


@dataclass(frozen=True, slots=True, eq=False)
class Loaded:
    """What a format loader hands back before it becomes a Recording."""

    chunk: ImuChunk
    rate_hz: float
    nan_rows: int
    notes: tuple[str, ...] = ()


def select_columns(
    path: Path,
    header: str,
    delimiter: str,
    required: tuple[str, ...],
    optional: tuple[str, ...],
    fmt: ReplayFormat,
    expected: str,
) -> tuple[list[int], list[str], int]:
    """Column positions of ``required`` (+ ``optional`` when all present) named in ``header``."""
    names = [n.strip().lower() for n in header.split(delimiter)]
    known = set(required) | set(optional)
    shown = header if len(header) <= 80 else header[:77] + "..."
    if len(set(names)) != len(names) or any(n not in known for n in names):
        raise ReplayError(
            path, HEADER_LINE, f"header {shown!r} is not the {fmt} format's (expected {expected})"
        )
    want = list(required)
    present_opt = [n for n in optional if n in names]
    if present_opt:
        want += list(optional)
    missing = [n for n in want if n not in names]
    if missing:
        raise ReplayError(
            path,
            HEADER_LINE,
            f"header {shown!r} is missing column(s) {','.join(missing)} of the {fmt} format "
            f"(expected {expected})",
        )
    return [names.index(n) for n in want], want, len(names)


def median_rate_hz(path: Path, t_s: np.ndarray) -> float:
    """Nominal rate from the median sample interval."""
    if t_s.size < 2:
        raise ReplayError(
            path, None, "only one sample: cannot tell the sample rate; pass rate_hz (--rate-hz)"
        )
    return float(1.0 / np.median(np.diff(t_s)))


def _chunk(table: Table, t_s: np.ndarray) -> ImuChunk:
    """Column views into the parsed table (copying 360k rows costs ~5 ms for nothing)."""
    v = table.values
    mag = v[:, 7:10] if v.shape[1] >= 10 else None
    return ImuChunk(t_s, v[:, 1:4], v[:, 4:7], mag)


def load_csv(path: Path, rate_hz: float | None = None) -> Loaded:
    """Read a project CSV file; see the module docstring for the layout."""
    table = load_table(path, ",", lambda header: select_columns(
        path, header, ",", CSV_COLUMNS, CSV_MAG, ReplayFormat.CSV, CSV_EXPECTED
    ))
    t_s = table.values[:, 0]
    check_time_increasing(path, t_s, table.lines)
    rate = rate_hz if rate_hz is not None else median_rate_hz(path, t_s)
    chunk = _chunk(table, t_s)
    notes = check_imu_units(path, chunk.accel_m_s2, chunk.gyro_rad_s, rate)
    return Loaded(chunk, rate, table.nan_rows, notes)


def load_uci(path: Path, rate_hz: float | None = None) -> Loaded:
    """Read a UCI Physical Therapy file; ``rate_hz`` overrides its 25 Hz time base."""
    table = load_table(path, ";", lambda header: select_columns(
        path, header, ";", UCI_COLUMNS, UCI_MAG, ReplayFormat.UCI_PT, UCI_EXPECTED
    ))
    index = table.values[:, 0]
    check_time_increasing(path, index, table.lines, what="time index")
    rate = rate_hz if rate_hz is not None else UCI_RATE_HZ
    t_s = (index - 1.0) / rate
    chunk = _chunk(table, t_s)
    notes = check_imu_units(path, chunk.accel_m_s2, chunk.gyro_rad_s, rate)
    return Loaded(chunk, rate, table.nan_rows, notes)
