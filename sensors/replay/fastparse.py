"""Fixed-decimal fast path: files whose every field looks like ``[-]123.456789``.

That is what :func:`~sensors.replay.writer.write_csv` (and most loggers) write. Instead of
converting 2.5 M decimal strings one by one (``numpy.loadtxt``: ~55 ns a field here), we
delete the dots and let ``np.fromstring`` read integers (~20 ns a field), then divide each
column by 10**decimals (exact decimal rounding, as strtod would give). Measured on an hour
of 100 Hz CSV (360,000 rows, 24.7 MB): ~0.11 s against ~0.14 s for loadtxt.

The shape is checked before trusting the integers: every field has exactly one dot followed
by its column's number of decimals (taken from the first row) and then the right separator.
Anything else (NaN, exponents, CR LF, ragged rows) returns None and the caller falls back.
"""

from __future__ import annotations

import warnings

import numpy as np

DOT = ord(".")
NEWLINE = ord("\n")
MAX_DECIMALS = 9
EXACT_INT = 2**53  # every int64 below this converts to float64 exactly


def parse_fixed_decimals(body: bytes, delimiter: str, ncols: int) -> np.ndarray | None:
    """(nrows, ncols) float64 array, or None when ``body`` is not in fixed-decimal form.

    ``body`` holds the data lines only (no header) and no leading blank line.
    """
    decimals = _first_row_decimals(body, delimiter, ncols)
    if decimals is None:
        return None
    data = body if body.endswith(b"\n") else body + b"\n"
    raw = np.frombuffer(data, np.uint8)
    dots = np.flatnonzero(raw == DOT)
    if dots.size == 0 or dots.size % ncols:
        return None
    nrows = dots.size // ncols
    ends = dots.reshape(nrows, ncols) + (decimals + 1)
    if int(ends[-1, -1]) != raw.size - 1:
        return None
    expected = np.full(ncols, ord(delimiter), np.uint8)
    expected[-1] = NEWLINE
    if not (raw[ends] == expected).all():
        return None
    table = bytes.maketrans(b"\n", delimiter.encode())
    digits = data.translate(table, b".")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy < 2 warns instead of raising on bad data
        try:
            ints = np.fromstring(digits, dtype=np.int64, sep=delimiter)
        except (ValueError, DeprecationWarning):
            return None
    if ints.size != nrows * ncols:
        return None
    # fromstring saturates on overflow, and above 2**53 int -> float rounds: leave those to strtod
    if ints.max() >= EXACT_INT or ints.min() <= -EXACT_INT:
        return None
    return ints.reshape(nrows, ncols) / (10.0**decimals)


def _first_row_decimals(body: bytes, delimiter: str, ncols: int) -> np.ndarray | None:
    end = body.find(b"\n")
    first = body[: end if end >= 0 else len(body)].decode("ascii", errors="replace")
    fields = first.split(delimiter)
    if len(fields) != ncols:
        return None
    decimals = []
    for field in fields:
        field = field.strip()
        dot = field.find(".")
        if dot < 0 or field.count(".") != 1:
            return None
        n = len(field) - dot - 1
        if not 1 <= n <= MAX_DECIMALS:
            return None
        decimals.append(n)
    return np.array(decimals, dtype=np.int64)
