"""MbientLab MetaWear exports from the MetaBase app: an accelerometer and a gyroscope file.

Layout (MetaBase's CSV writer, ``CsvDataHandler`` in mbientlab's MetaBase Android source, and
files seen in public datasets), one file per sensor, named like
``<name>_MetaWear_2019-09-14T13.41.43.335_F1E55E2FE95F_Accelerometer_100.000Hz_1.4.5.csv``::

    epoch (ms),time (-13:00),elapsed (s),x-axis (g),y-axis (g),z-axis (g)
    1568468503335,2019-09-14T13.41.43.335,0.000,-0.012,0.981,0.034

and the same with ``x-axis (deg/s)`` for ``_Gyroscope_``. The two sensors run at different
rates; we put both on the gyroscope's clock (fusion integrates the gyro) by linear
interpolation of the accelerometer over the time both files cover.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sensors.replay.checks import check_accel_unit, check_time_increasing
from sensors.replay.errors import ReplayError
from sensors.replay.formats import Loaded, ReplayFormat, median_rate_hz
from sensors.replay.table import HEADER_LINE, Table, parse_table, read_header_body
from sensors.types import STANDARD_GRAVITY_M_S2, ImuChunk

NAME_RE = re.compile(
    r"^(?P<prefix>.*)_(?P<sensor>Accelerometer|Gyroscope)_(?P<rate>\d+(?:\.\d+)?)Hz(?P<rest>.*)$"
)
DEVICE_RE = re.compile(r"(?:^|_)([0-9A-Fa-f]{12})(?:_|$)")
TIME_COLUMN_RE = re.compile(r"^time \(.*\)$")
MS_PER_DAY = 86_400_000.0
DEG_TO_RAD = np.pi / 180.0
ACCEL = "Accelerometer"
GYRO = "Gyroscope"
UNITS = {ACCEL: "g", GYRO: "deg/s"}


@dataclass(frozen=True, slots=True, eq=False)
class SensorFile:
    """One parsed MetaWear file: epoch (ms, whole numbers exact in float64), elapsed (s), xyz
    in the file's unit."""

    path: Path
    epoch_ms: np.ndarray
    elapsed_s: np.ndarray
    xyz: np.ndarray
    lines: np.ndarray
    rate_hz: float | None
    nan_rows: int


def is_metawear_name(path: Path) -> bool:
    return NAME_RE.match(path.name) is not None


def expected_header(sensor: str) -> str:
    u = UNITS[sensor]
    return f"epoch (ms),time (<tz>),elapsed (s),x-axis ({u}),y-axis ({u}),z-axis ({u})"


def find_pair(path: Path) -> tuple[Path, Path]:
    """(accelerometer file, gyroscope file) for a file of the pair or the folder holding it."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and is_metawear_name(p))
        acc = [p for p in files if _sensor(p) == ACCEL]
        gyr = [p for p in files if _sensor(p) == GYRO]
        if len(acc) != 1 or len(gyr) != 1:
            raise ReplayError(
                path,
                None,
                f"folder holds {len(acc)} MetaWear accelerometer and {len(gyr)} gyroscope "
                "files, expected one of each; name one of the files instead",
            )
        return acc[0], gyr[0]
    m = NAME_RE.match(path.name)
    if m is None:
        raise ReplayError(
            path,
            None,
            "a MetaWear file name must contain _Accelerometer_<rate>Hz or "
            "_Gyroscope_<rate>Hz (as MetaBase names its exports); rename it or pass the folder",
        )
    other = GYRO if m["sensor"] == ACCEL else ACCEL
    candidates = sorted(
        p for p in path.parent.glob(f"*_{other}_*Hz*") if p.is_file() and is_metawear_name(p)
    )
    partner = exact_counterparts(m, candidates)
    if not partner:
        partner = [p for p in candidates if _match(p)["prefix"] == m["prefix"]]
    if not partner:
        device = DEVICE_RE.search(m["prefix"])
        partner = [p for p in candidates if device and device.group(1) in p.name]
    if len(partner) != 1:
        raise ReplayError(
            path,
            None,
            f"found {len(partner)} matching _{other}_ files beside it (same prefix or device), "
            "expected exactly one; put the pair alone in a folder and pass the folder",
        )
    pair = (path, partner[0]) if other == GYRO else (partner[0], path)
    return pair


def exact_counterparts(m: re.Match[str], candidates: list[Path]) -> list[Path]:
    """Candidates named exactly like the file but for the sensor part (sensor and rate).

    MetaBase names both files of one export alike (``X_Accelerometer_100.000Hz_1.4.4.csv``,
    ``X_Gyroscope_50.000Hz_1.4.4.csv``); a re-export beside them differs in what follows
    (``..._1.4.41.csv``), so the exact counterpart wins before any fuzzy match.
    """
    return [p for p in candidates
            if (c := _match(p))["prefix"] == m["prefix"] and c["rest"] == m["rest"]]


def _match(path: Path) -> re.Match[str]:
    """NAME_RE's match of a name already known to be a MetaWear one."""
    m = NAME_RE.match(path.name)
    assert m is not None, path
    return m


def _sensor(path: Path) -> str | None:
    m = NAME_RE.match(path.name)
    return m["sensor"] if m else None


def _columns(path: Path, header: str, sensor: str) -> tuple[list[int], int]:
    """Positions of epoch, elapsed, x, y, z in a MetaWear header for ``sensor``."""
    u = UNITS[sensor]
    names = [n.strip().lower() for n in header.split(",")]
    want = ["epoch (ms)", "elapsed (s)", f"x-axis ({u})", f"y-axis ({u})", f"z-axis ({u})"]
    shown = header if len(header) <= 100 else header[:97] + "..."
    known = set(want)
    unknown = [n for n in names if n not in known and not TIME_COLUMN_RE.match(n)]
    if unknown or len(set(names)) != len(names):
        raise ReplayError(
            path,
            HEADER_LINE,
            f"header {shown!r} is not the metawear {sensor.lower()} format's "
            f"(expected {expected_header(sensor)})",
        )
    missing = [n for n in want if n not in names]
    if missing:
        raise ReplayError(
            path,
            HEADER_LINE,
            f"header {shown!r} is missing column(s) {','.join(missing)} of the metawear "
            f"{sensor.lower()} format (expected {expected_header(sensor)})",
        )
    return [names.index(n) for n in want], len(names)


def read_sensor_file(path: Path, sensor: str) -> SensorFile:
    header, body = read_header_body(path)
    usecols, ncols = _columns(path, header, sensor)
    names = ["epoch (ms)", "elapsed (s)", "x", "y", "z"]
    table: Table = parse_table(path, header, body, ",", names, usecols, ncols)
    epoch_ms = table.values[:, 0]
    check_time_increasing(path, epoch_ms, table.lines, what="epoch ms")
    m = NAME_RE.match(path.name)
    rate = float(m["rate"]) if m and float(m["rate"]) > 0 else None
    return SensorFile(
        path,
        epoch_ms,
        table.values[:, 1],
        np.ascontiguousarray(table.values[:, 2:5]),
        table.lines,
        rate,
        table.nan_rows,
    )


def _overlap(a_t: np.ndarray, g_t: np.ndarray) -> tuple[float, float]:
    return max(a_t[0], g_t[0]), min(a_t[-1], g_t[-1])


def align(acc: SensorFile, gyr: SensorFile) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Accelerometer (g) on the gyroscope's sample times (s), over the time both cover.

    Returns (t_s, accel_g, gyro_deg_s, notes); ``t_s`` starts at 0 at the first common sample.
    The notes are logged by ``load_recording`` with every other loading note.
    """
    notes: list[str] = []
    # Epochs are ~1.6e12 ms: subtract the gyro's first before scaling to seconds to keep
    # sub-microsecond precision.
    ref_ms = gyr.epoch_ms[0]
    days = round((ref_ms - acc.epoch_ms[0]) / MS_PER_DAY)
    a_t = (acc.epoch_ms - ref_ms + days * MS_PER_DAY) / 1000.0
    g_t = (gyr.epoch_ms - ref_ms) / 1000.0
    if days:
        notes.append(
            f"{acc.path.name} and {gyr.path.name} disagree by {days:+d} whole day(s) "
            "(an export or timezone bug): removed that offset"
        )
    lo, hi = _overlap(a_t, g_t)
    if hi <= lo:
        a_t = acc.elapsed_s - acc.elapsed_s[0]
        g_t = gyr.elapsed_s - gyr.elapsed_s[0]
        notes.append(
            f"epochs of {acc.path.name} and {gyr.path.name} do not overlap: "
            "aligned them by elapsed time from each file's start instead"
        )
        check_time_increasing(acc.path, a_t, acc.lines, what="elapsed s")
        check_time_increasing(gyr.path, g_t, gyr.lines, what="elapsed s")
        lo, hi = _overlap(a_t, g_t)
    keep = (g_t >= lo) & (g_t <= hi)
    if hi <= lo or not keep.any():
        raise ReplayError(
            gyr.path,
            None,
            f"shares no time with {acc.path.name}; export both sensors of the same session",
        )
    t = g_t[keep]
    accel = np.column_stack([np.interp(t, a_t, acc.xyz[:, k]) for k in range(3)])
    return t - t[0], accel, gyr.xyz[keep], notes


def load_metawear(path: Path, rate_hz: float | None = None) -> Loaded:
    """Read a MetaWear accelerometer + gyroscope pair given either file or their folder."""
    acc_path, gyr_path = find_pair(path)
    acc = read_sensor_file(acc_path, ACCEL)
    gyr = read_sensor_file(gyr_path, GYRO)
    acc_rate = acc.rate_hz or median_rate_hz(acc.path, acc.epoch_ms / 1000.0)
    unit_notes = check_accel_unit(acc.path, acc.xyz, acc_rate, "g")
    t_s, accel_g, gyro_deg_s, notes = align(acc, gyr)
    if rate_hz is None:
        rate_hz = gyr.rate_hz or median_rate_hz(gyr.path, gyr.epoch_ms / 1000.0)
    chunk = ImuChunk(
        np.ascontiguousarray(t_s),
        accel_g * STANDARD_GRAVITY_M_S2,
        np.ascontiguousarray(gyro_deg_s) * DEG_TO_RAD,
    )
    return Loaded(chunk, float(rate_hz), acc.nan_rows + gyr.nan_rows, (*unit_notes, *notes))


__all__ = ["ReplayFormat", "find_pair", "is_metawear_name", "load_metawear"]
