"""Which of several recordings of one session comes from the moving segment.

The UCI-PT layout records each session with five units whose placement per file is not
documented; the unit on the moving segment is the one that rotates most.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sensors.replay.errors import ReplayError
from sensors.replay.recording import Recording, load_recording


def rotation_energy(rec: Recording) -> float:
    """RMS angular rate of a recording (rad/s)."""
    gyro = rec.chunk.gyro_rad_s
    return float(np.sqrt(np.mean(np.sum(gyro * gyro, axis=1)))) if len(rec.chunk) else 0.0


def session_units(folder: Path) -> list[Path]:
    """The unit files of a UCI-PT session folder (``uK/test.txt[.gz]``), sorted."""
    files = sorted(folder.glob("u*/test.txt.gz")) + sorted(folder.glob("u*/test.txt"))
    return sorted(files)


def most_rotating(paths: list[Path], fmt: str | None = None,
                  rate_hz: float | None = None) -> Recording:
    """Load each path and return the recording that rotates most."""
    if not paths:
        raise ReplayError(Path("."), None, "no recordings to choose from")
    recs = [load_recording(p, fmt, rate_hz) for p in paths]
    return max(recs, key=rotation_energy)
