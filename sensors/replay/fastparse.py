"""Fixed-decimal fast path: files whose every field looks like ``[-]123.456789``.

That is what :func:`~sensors.replay.writer.write_csv` (and most loggers) write. Instead of
converting 2.5 M decimal strings one by one (``numpy.loadtxt``: ~55 ns a field here), we
delete the dots and let ``np.fromstring`` read integers (~20 ns a field), then divide each
column by 10**decimals (exact decimal rounding, as strtod would give). Measured on an hour
of 100 Hz CSV (360,000 rows, 24.7 MB): ~0.11 s against ~0.14 s for loadtxt.

The shape is checked before trusting the integers: every field has exactly one dot followed
by its column's number of decimals (taken from the first row) and then the right separator.
Anything else (NaN, exponents, CR LF, ragged rows) returns None and the caller falls back.

The body is parsed in pieces of about 1 MB cut at line ends: each piece's temporaries
(the dot-free copy, the integers) stay in the cache between the passes, a tenth faster
than one 25 MB pass and without a second copy of the file in memory. (Two threads gain
nothing: ``np.fromstring`` and ``bytes.translate`` hold the GIL.) Every piece is checked
against the first row's decimals, so the result is the array one pass gives.
"""

from __future__ import annotations

import warnings

import numpy as np

DOT = ord(".")
NEWLINE = ord("\n")
MAX_DECIMALS = 9
EXACT_INT = 2**53  # every int64 below this converts to float64 exactly
PIECE_BYTES = 1 << 20  # ~15,000 rows of 7 columns; 0.25-12 MB all within 5 % of this


def parse_fixed_decimals(body: bytes, delimiter: str, ncols: int, *,
                         piece_bytes: int = PIECE_BYTES) -> np.ndarray | None:
    """(nrows, ncols) float64 array, or None when ``body`` is not in fixed-decimal form.

    ``body`` holds the data lines only (no header) and no leading blank line; it is read
    in pieces of about ``piece_bytes`` (whole lines).
    """
    decimals = _first_row_decimals(body, delimiter, ncols)
    if decimals is None:
        return None
    data = body if body.endswith(b"\n") else body + b"\n"
    parts: list[np.ndarray] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy < 2 warns instead of raising on bad data
        start = 0
        while start < len(data):
            cut = data.find(b"\n", min(start + piece_bytes, len(data) - 1)) + 1
            part = _integers(data[start:cut], delimiter, ncols, decimals)
            if part is None:
                return None
            parts.append(part)
            start = cut
    scale = 10.0**decimals
    out = np.empty((sum(p.shape[0] for p in parts), ncols))
    row = 0
    for p in parts:
        np.divide(p, scale, out=out[row : row + p.shape[0]])
        row += p.shape[0]
    return out


def _integers(data: bytes, delimiter: str, ncols: int, decimals: np.ndarray
              ) -> np.ndarray | None:
    """Whole lines in fixed-decimal form as (nrows, ncols) integers (value x 10**decimals),
    or None when any field is not ``[-]digits.`` + its column's decimals."""
    raw = np.frombuffer(data, np.uint8)
    dots = np.flatnonzero(raw == DOT)
    if dots.size == 0 or dots.size % ncols:
        return None
    nrows = dots.size // ncols
    ends = dots.reshape(nrows, ncols)
    ends += decimals + 1  # in place: the dots' positions are not needed again
    if int(ends[-1, -1]) != raw.size - 1:
        return None
    expected = np.full(ncols, ord(delimiter), np.uint8)
    expected[-1] = NEWLINE
    if not (raw.take(ends) == expected).all():  # take: a third of the time of raw[ends]
        return None
    table = bytes.maketrans(b"\n", delimiter.encode())
    digits = data.translate(table, b".")
    try:  # (the caller turned numpy's DeprecationWarning on bad data into an error)
        ints = np.fromstring(digits, dtype=np.int64, sep=delimiter)
    except (ValueError, DeprecationWarning):
        return None
    if ints.size != nrows * ncols:
        return None
    # fromstring saturates on overflow, and above 2**53 int -> float rounds: leave those to strtod
    if ints.max() >= EXACT_INT or ints.min() <= -EXACT_INT:
        return None
    return ints.reshape(nrows, ncols)


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
