"""Load a recorded IMU file of any supported format into one :class:`Recording`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sensors.replay.checks import check_rate_hz, check_sample_gaps
from sensors.replay.errors import ReplayError
from sensors.replay.formats import Loaded, ReplayFormat, load_csv, load_uci
from sensors.replay.metawear import (
    DEVICE_RE,
    NAME_RE,
    find_pair,
    is_metawear_name,
    load_metawear,
)
from sensors.replay.table import HEADER_LINE, first_line
from sensors.types import ImuChunk

log = logging.getLogger(__name__)
GENERIC_STEMS = frozenset({"test", "train", "data", "imu"})
LOADERS = {
    ReplayFormat.CSV: load_csv,
    ReplayFormat.UCI_PT: load_uci,
    ReplayFormat.METAWEAR: load_metawear,
}


@dataclass(frozen=True, slots=True, eq=False)
class Recording:
    """A whole recording in memory, on one clock, in project units (s, m/s^2, rad/s).

    ``rate_hz`` is nominal: the caller's override, else the format's known rate, else the
    median sample interval. ``nan_rows`` counts rows skipped for NaN or empty values.
    ``notes`` are the warnings raised while loading (also logged): what the loader assumed
    where the file left it unsure (a unit without a still period to prove it, alignment
    of a MetaWear pair). ``rehab replay --json`` prints them as ``warnings``.
    """

    chunk: ImuChunk
    rate_hz: float
    fmt: ReplayFormat
    path: Path
    nan_rows: int
    sensor_id: str
    notes: tuple[str, ...] = ()

    @property
    def duration_s(self) -> float:
        t = self.chunk.t_s
        return float(t[-1] - t[0]) if t.size else 0.0


def detect_format(path: Path | str) -> ReplayFormat:
    """Guess a file's format from its first line (a folder means a MetaWear pair)."""
    path = Path(path)
    if path.is_dir():
        if any(is_metawear_name(p) for p in path.iterdir()):
            return ReplayFormat.METAWEAR
        raise ReplayError(
            path, None, "folder holds no MetaWear _Accelerometer_/_Gyroscope_ files; name a file"
        )
    header = first_line(path)
    low = header.lower()
    names = {n.strip() for n in low.split(",")}
    if low.startswith(("time index;", "acc_x;")):
        return ReplayFormat.UCI_PT
    if low.startswith("epoch (ms),"):
        return ReplayFormat.METAWEAR
    if "t" in names and "," in low:
        return ReplayFormat.CSV
    if not header:
        raise ReplayError(path, None, "file is empty; expected a header line and data rows")
    shown = header if len(header) <= 60 else header[:57] + "..."
    raise ReplayError(
        path,
        HEADER_LINE,
        f"unknown format: header {shown!r} is none of csv (t,ax,ay,az,gx,gy,gz), "
        "uci-pt (time index;acc_x;...), metawear (epoch (ms),time (..),elapsed (s),...); "
        "convert the file or pass the format",
    )


def _sensor_id(path: Path, fmt: ReplayFormat) -> str:
    if fmt is ReplayFormat.METAWEAR:
        if path.is_dir():
            path = find_pair(path)[0]
        m = NAME_RE.match(path.name)
        if m is None:
            return path.name
        device = DEVICE_RE.search(m["prefix"])
        return device.group(1).upper() if device else m["prefix"]
    stem = path.name
    for suffix in (".gz", ".csv", ".txt"):
        stem = stem.removesuffix(suffix)
    if stem.lower() in GENERIC_STEMS:
        parents = [p for p in path.resolve().parts[-4:-1] if p not in ("/", "")]
        return "-".join(parents) or stem
    return stem


def load_recording(
    path: Path | str, fmt: str | None = None, rate_hz: float | None = None
) -> Recording:
    """Read ``path`` (format ``fmt`` or detected) into a Recording; bad input is a ReplayError."""
    path = Path(path)
    if fmt is None:
        kind = detect_format(path)
    else:
        try:
            kind = ReplayFormat(fmt)
        except ValueError:
            choices = ", ".join(f.value for f in ReplayFormat)
            raise ReplayError(path, None, f"unknown format {fmt!r}; use one of {choices}") from None
    if rate_hz is not None:
        check_rate_hz(path, rate_hz, given=True)
    loaded: Loaded = LOADERS[kind](path, rate_hz)
    if rate_hz is None:
        check_rate_hz(path, loaded.rate_hz, given=False)
    check_sample_gaps(path, loaded.chunk.t_s)
    for note in loaded.notes:
        log.warning("%s", note)
    return Recording(
        loaded.chunk,
        loaded.rate_hz,
        kind,
        path,
        loaded.nan_rows,
        _sensor_id(path, kind),
        loaded.notes,
    )
