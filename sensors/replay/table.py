"""Delimited numeric text to a float array: a fast bulk path and a careful one that names lines.

Files in fixed-decimal form (what write_csv writes) go through
:func:`~sensors.replay.fastparse.parse_fixed_decimals` (~3.3 M rows/s for 7 columns here);
other well-formed files through ``numpy.loadtxt`` (C parser, ~2.6 M rows/s; float
``np.fromstring`` was slower and row-by-row Python ten times slower). Only when that fails, or when a row holds NaN/empty values, do we walk the lines in Python to skip NaN rows
and to name the first bad line.
"""

from __future__ import annotations

import gzip
import io
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sensors.replay.errors import ReplayError
from sensors.replay.fastparse import (
    PIECE_BYTES,
    FixedRows,
    first_row_decimals,
    parse_fixed_decimals,
)

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
HEADER_LINE = 1  # data rows start on line 2
WHITESPACE = frozenset(b" \t\r\n")
NAN_WORDS = frozenset({"", "nan", "-nan", "+nan", "na", "null"})


@dataclass(frozen=True, slots=True, eq=False)
class Table:
    """Selected numeric columns of a file, NaN rows already removed.

    ``values`` is (n, len(columns)); ``lines[i]`` is the 1-based file line of row i.
    """

    header: str
    names: tuple[str, ...]
    values: np.ndarray
    lines: np.ndarray
    nan_rows: int


def read_header_body(path: Path) -> tuple[str, bytes]:
    """The first line (decoded, stripped) and the bytes after it, gunzipped if needed.

    A plain file is read as readline() + read() so the 25 MB body is never copied to cut
    the header off. A missing, unreadable or empty file is a ReplayError.
    """
    try:
        with path.open("rb") as raw:
            if raw.read(2) == GZIP_MAGIC:
                raw.seek(0)
                head, body = _split(_gunzip(path, raw.read()))
            else:
                raw.seek(0)
                head = raw.readline()
                # a sized read lands in one preallocated buffer; read() grows and copies
                body = raw.read(max(0, os.fstat(raw.fileno()).st_size - raw.tell()))
    except FileNotFoundError as exc:
        raise ReplayError(path, None, "file not found; check the path") from exc
    except IsADirectoryError as exc:
        raise ReplayError(path, None, "is a folder, not a recording file; name a file") from exc
    except OSError as exc:
        raise ReplayError(
            path, None, f"cannot read the file ({exc.strerror or exc}); check its permissions"
        ) from exc
    head = head.removeprefix(UTF8_BOM)
    if (not head or head.isspace()) and (not body or body.isspace()):
        raise ReplayError(path, None, "file is empty; expected a header line and data rows")
    try:
        header = head.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise ReplayError(path, 1, "header is not text; is this a recording file?") from exc
    return header, body


# What a format makes of the header: (columns kept, their names, fields per row); it raises
# ReplayError when the header is not its own.
ColumnPick = Callable[[str], tuple[Sequence[int], Sequence[str], int]]


def load_table(path: Path, delimiter: str, pick: ColumnPick) -> Table:
    """The file's header and kept columns: :func:`read_fixed_table` when the file takes it,
    else :func:`read_header_body` and :func:`parse_table` (the same table either way)."""
    table = read_fixed_table(path, delimiter, pick)
    if table is None:
        header, body = read_header_body(path)
        usecols, names, ncols = pick(header)
        table = parse_table(path, header, body, delimiter, names, usecols, ncols)
    return table


def read_fixed_table(path: Path, delimiter: str, pick: ColumnPick,
                     piece_bytes: int = PIECE_BYTES) -> Table | None:
    """A plain file whose every data line is in fixed-decimal form, read and parsed ~1 MB at a
    time through one reused buffer into one preallocated array; None for anything else
    (gzip, a blank or undecodable header, any other line, trailing blank lines, a read
    error): the caller then reads the file whole, as before, and gets its answer or error.

    Reading the 25 MB body at once faulted in ~6,000 fresh pages, and its integers another
    ~5,000, on every run of ``rehab replay`` (about 0.03 s of the hour at 100 Hz).
    """
    try:
        with path.open("rb") as raw:
            head = raw.readline()
            if head.startswith(GZIP_MAGIC):
                return None
            header = head.removeprefix(UTF8_BOM).decode("utf-8").strip()
            if not header:
                return None
            usecols, names, ncols = pick(header)
            size = os.fstat(raw.fileno()).st_size - raw.tell()
            values = _read_fixed(raw, max(size, 0), delimiter, ncols, piece_bytes)
    except (OSError, UnicodeDecodeError):
        return None
    if values is None:
        return None
    if list(usecols) != list(range(ncols)):
        values = values[:, list(usecols)]
    lines = np.arange(HEADER_LINE + 1, HEADER_LINE + 1 + values.shape[0])
    return Table(header, tuple(names), values, lines, 0)


def _read_fixed(raw: io.BufferedIOBase, size: int, delimiter: str, ncols: int,
                piece_bytes: int) -> np.ndarray | None:
    """The rest of ``raw`` (``size`` bytes) through :class:`FixedRows`, or None."""
    buf = bytearray(max(piece_bytes, 4096))
    filled = 0
    rows: FixedRows | None = None
    while True:
        with memoryview(buf) as view:
            got = raw.readinto(view[filled:])
        if not got:
            break
        filled += got
        end = buf.rfind(b"\n", 0, filled) + 1
        if end == 0:
            if filled == len(buf):  # a line longer than the buffer
                buf.extend(bytes(len(buf)))
            continue
        # the piece as a view of the buffer (its bytes are copied once, into the parser's
        # own buffer; a bytes copy first was another 25 MB of memcpy for the hour)
        with memoryview(buf) as view, view[:end] as piece:
            rows = _add(rows, piece, delimiter, ncols, size)
        if rows is None:
            return None
        buf[: filled - end] = buf[end:filled]
        filled -= end
    if filled:  # a last line without its newline gets one, as parse_table gives it
        if buf[filled - 1] in WHITESPACE:
            return None
        rows = _add(rows, bytes(buf[:filled]) + b"\n", delimiter, ncols, size)
    return None if rows is None else rows.values()


def _add(rows: FixedRows | None, piece: bytes | memoryview, delimiter: str, ncols: int,
         size: int) -> FixedRows | None:
    """``rows`` (made from the first piece's first line) with ``piece`` added, or None."""
    if rows is None:
        decimals = first_row_decimals(bytes(piece), delimiter, ncols)  # the first piece
        if decimals is None:
            return None
        rows = FixedRows(decimals, delimiter, size + 1)
    return rows if rows.add(piece) else None


def _gunzip(path: Path, data: bytes) -> bytes:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError) as exc:
        raise ReplayError(
            path, None, f"gzip data is damaged ({exc}); re-copy or re-export the file"
        ) from exc


def _split(data: bytes) -> tuple[bytes, bytes]:
    end = data.find(b"\n")
    return (data, b"") if end < 0 else (data[: end + 1], data[end + 1 :])


def parse_table(
    path: Path,
    header: str,
    body: bytes,
    delimiter: str,
    names: Sequence[str],
    usecols: Sequence[int],
    ncols: int,
) -> Table:
    """Parse ``body`` (all lines after the header) keeping columns ``usecols`` named ``names``.

    ``ncols`` is how many fields every data row must have.
    """
    end = len(body)
    while end and body[end - 1] in WHITESPACE:
        end -= 1
    if end == 0:
        raise ReplayError(path, HEADER_LINE, "header only, no data rows; record some samples")
    # keep one trailing newline rather than copy 25 MB to drop it
    body = body if body[end:] in (b"", b"\n") else body[:end]
    fixed = parse_fixed_decimals(body, delimiter, ncols)
    if fixed is not None:  # its checks rule out blank lines: row i is on line i + 2
        values = fixed if list(usecols) == list(range(ncols)) else fixed[:, list(usecols)]
        lines = np.arange(HEADER_LINE + 1, HEADER_LINE + 1 + fixed.shape[0])
        return Table(header, tuple(names), values, lines, 0)
    nrows = body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
    try:
        values = np.loadtxt(
            io.BytesIO(body),
            delimiter=delimiter,
            usecols=None if list(usecols) == list(range(ncols)) else tuple(usecols),
            comments=None,
            quotechar=None,
            ndmin=2,
            dtype=np.float64,
        )
    except ValueError:
        return _parse_careful(path, header, body, delimiter, names, usecols, ncols)
    # loadtxt skips blank lines (which would shift our line numbers) and, given a subset
    # of columns, does not check the others: count lines, and delimiters in that case.
    if values.shape[0] != nrows or values.shape[1] != len(usecols) or (
        len(usecols) != ncols and body.count(delimiter.encode()) != nrows * (ncols - 1)
    ):  # (with every column kept, loadtxt takes its width from the rows, not the header)
        return _parse_careful(path, header, body, delimiter, names, usecols, ncols)
    finite = np.isfinite(values)
    if not finite.all():
        bad = ~finite.all(axis=1)
        if np.isinf(values).any():
            return _parse_careful(path, header, body, delimiter, names, usecols, ncols)
        keep = ~bad
        lines = np.flatnonzero(keep) + HEADER_LINE + 1
        return Table(header, tuple(names), values[keep], lines, int(bad.sum()))
    lines = np.arange(HEADER_LINE + 1, HEADER_LINE + 1 + nrows)
    return Table(header, tuple(names), values, lines, 0)


def _parse_careful(
    path: Path,
    header: str,
    body: bytes,
    delimiter: str,
    names: Sequence[str],
    usecols: Sequence[int],
    ncols: int,
) -> Table:
    """Line by line: skip NaN/empty rows, raise on the first malformed one, naming it."""
    rows: list[list[float]] = []
    lines: list[int] = []
    nan_rows = 0
    text = body.decode("utf-8", errors="replace")
    for lineno, raw in enumerate(text.rstrip().split("\n"), start=HEADER_LINE + 1):
        line = raw.strip()
        if not line or not line.replace(delimiter, "").strip():
            nan_rows += 1
            continue
        fields = line.split(delimiter)
        if len(fields) != ncols:
            raise ReplayError(
                path,
                lineno,
                f"row has {len(fields)} fields, the header has {ncols}; fix or delete this line",
            )
        row: list[float] = []
        has_nan = False
        for col, name in zip(usecols, names):
            field = fields[col].strip()
            if field.lower() in NAN_WORDS:
                has_nan = True
                continue
            try:
                value = float(field)
            except ValueError:
                raise ReplayError(
                    path,
                    lineno,
                    f"value {field[:20]!r} in column {name!r} is not a number; "
                    "fix or delete this line",
                ) from None
            if math.isinf(value):
                raise ReplayError(
                    path,
                    lineno,
                    f"value {field!r} in column {name!r} is not finite; fix or delete this line",
                )
            row.append(value)
        if has_nan:
            nan_rows += 1
            continue
        rows.append(row)
        lines.append(lineno)
    if not rows:
        raise ReplayError(
            path, HEADER_LINE, "no usable data rows (all empty or NaN); record some samples"
        )
    values = np.array(rows, dtype=np.float64).reshape(-1, len(names))
    return Table(header, tuple(names), values, np.array(lines, dtype=np.int64), nan_rows)


def first_line(path: Path, limit: int = 4096) -> str:
    """The file's first line (gunzipped if needed), for format detection."""
    try:
        with path.open("rb") as raw:
            magic = raw.read(2)
            raw.seek(0)
            stream = gzip.GzipFile(fileobj=raw) if magic == GZIP_MAGIC else raw
            head = stream.readline(limit)
    except FileNotFoundError as exc:
        raise ReplayError(path, None, "file not found; check the path") from exc
    except (OSError, EOFError) as exc:
        raise ReplayError(
            path, None, f"cannot read the file ({exc}); check it and its permissions"
        ) from exc
    return head.removeprefix(UTF8_BOM).decode("utf-8", errors="replace").strip()
