"""Write a chunk as the project CSV (what ``rehab sim --out`` produces and replay reads)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from sensors.replay.errors import ReplayError
from sensors.types import ImuChunk

# 6 decimals: µs, µm/s^2, µrad/s: far below any sensor's noise, and round-trips exactly
# at that resolution.
VALUE_FORMAT = "%.6f"


def write_csv(path: Path | str, chunk: ImuChunk) -> Path:
    """Write ``chunk`` to ``path`` (gzip when it ends in .gz); returns the path."""
    path = Path(path)
    cols = [chunk.t_s.reshape(-1, 1), chunk.accel_m_s2, chunk.gyro_rad_s]
    header = "t,ax,ay,az,gx,gy,gz"
    if chunk.mag is not None:
        cols.append(chunk.mag)
        header += ",mx,my,mz"
    table = np.hstack(cols)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "wb") as out:
            np.savetxt(out, table, fmt=VALUE_FORMAT, delimiter=",", header=header, comments="")
    except OSError as exc:
        raise ReplayError(
            path, None, f"cannot write ({exc.strerror or exc}); check the folder"
        ) from exc
    return path
