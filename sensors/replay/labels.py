"""Per-execution labels of the UCI-PT dataset (``eN/test_times.csv``).

Layout (a later user of the data, see ../shared/data/README.md):
``"rep.number","execution.type","start","end"`` with 1-based time indices at 25 Hz and
execution type 1 correct, 2 fast, 3 low amplitude.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sensors.replay.errors import ReplayError

UCI_RATE_HZ = 25.0
HEADER = ["rep.number", "execution.type", "start", "end"]


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
