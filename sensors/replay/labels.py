"""Per-execution labels of the UCI-PT dataset (``eN/test_times.csv``).

Layout (a later user of the data, see ../shared/data/README.md):
``"rep.number","execution.type","start","end"`` with 1-based time indices at 25 Hz and
execution type 1 correct, 2 fast, 3 low amplitude.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from sensors.replay.errors import ReplayError

UCI_RATE_HZ = 25.0
HEADER = ["rep.number", "execution.type", "start", "end"]
# The dataset's eight exercises (../shared/data/README.md) by the catalogue entry they match
# (None: no catalogue twin). Only what the motion core needs follows from it: exercise 2,
# bending the trunk forward, lowers the measured segment; the others lift it.
UCI_EXERCISES: dict[int, str | None] = {
    1: None,  # seated, raise the straight leg (hip flexion)
    2: "trunk_flexion_seated",
    3: "straight_leg_raise",
    4: "hip_abduction_side_lying",
    5: None,  # prone, raise the straight leg (hip extension)
    6: "elbow_flexion",
    7: "shoulder_abduction_standing",
    8: None,  # prone, forearm hanging: straighten the elbow
}
UCI_LOWERING = frozenset({2})
_EXERCISE_DIR = re.compile(r"^e([1-8])$")


def uci_exercise_number(path: Path | str) -> int | None:
    """The exercise number of a file or folder in the UCI-PT layout (``…/eN/uK/…``)."""
    for part in reversed(Path(path).parts):
        m = _EXERCISE_DIR.match(part)
        if m:
            return int(m.group(1))
    return None


def uci_lifts(path: Path | str) -> bool | None:
    """Whether the exercise a UCI-PT path belongs to lifts the segment (None: not UCI)."""
    n = uci_exercise_number(path)
    return None if n is None else n not in UCI_LOWERING


def load_uci_labels(path: Path | str, rate_hz: float = UCI_RATE_HZ
                    ) -> list[tuple[float, float, int]]:
    """(start_s, end_s, kind) per labelled execution, times from the first sample."""
    path = Path(path)
    try:
        with path.open(newline="") as fh:
            rows = list(csv.reader(fh))
    except OSError as exc:
        raise ReplayError(path, None, f"cannot read labels: {exc.strerror}") from exc
    if not rows or [c.strip() for c in rows[0]] != HEADER:
        raise ReplayError(path, 1, f"header is not {','.join(HEADER)}")
    out = []
    for line, row in enumerate(rows[1:], start=2):
        try:
            _, kind, start, end = (int(float(c)) for c in row)
        except ValueError:
            raise ReplayError(path, line, "expected four numbers") from None
        out.append(((start - 1) / rate_hz, (end - 1) / rate_hz, kind))
    return out
