"""A file read in pieces (read_fixed_table) gives the table, or the error, of reading it whole."""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sensors.replay.errors import ReplayError
from sensors.replay.fastparse import parse_fixed_decimals
from sensors.replay.table import Table, load_table, parse_table, read_fixed_table, read_header_body

NAMES = ("t", "a", "b")


def pick(header: str) -> tuple[Sequence[int], Sequence[str], int]:
    names = header.split(",")
    if names != list(NAMES):
        raise ReplayError(Path("x.csv"), 1, f"header {header!r} is not t,a,b")
    return [0, 1, 2], list(NAMES), 3


def pick_two(header: str) -> tuple[Sequence[int], Sequence[str], int]:
    pick(header)
    return [0, 2], ["t", "b"], 3


def whole(path: Path, choose=pick) -> Table | str:
    """What loading did before pieces: the whole body at once (its table or its error)."""
    try:
        header, body = read_header_body(path)
        usecols, names, ncols = choose(header)
        return parse_table(path, header, body, ",", names, usecols, ncols)
    except ReplayError as exc:
        return str(exc)


def loaded(path: Path, choose=pick) -> Table | str:
    try:
        return load_table(path, ",", choose)
    except ReplayError as exc:
        return str(exc)


def assert_same(a: Table | str, b: Table | str) -> None:
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return
    assert (a.header, a.names, a.nan_rows) == (b.header, b.names, b.nan_rows)
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.lines, b.lines)
    assert a.values.dtype == b.values.dtype and a.lines.dtype == b.lines.dtype


def render(values: np.ndarray, decimals: Sequence[int]) -> bytes:
    return b"".join(
        (",".join(f"{v:.{d}f}" for v, d in zip(row, decimals)) + "\n").encode() for row in values
    )


@settings(max_examples=40, deadline=None)
@given(
    values=arrays(np.float64, st.tuples(st.integers(1, 60), st.just(3)),
                  elements=st.floats(-1e5, 1e5, allow_nan=False)),
    decimals=st.lists(st.integers(1, 9), min_size=3, max_size=3),
    piece=st.sampled_from([0, 16, 50, 200, 1 << 20]),
)
def test_pieces_of_any_size_give_the_whole_files_table(
    tmp_path_factory: pytest.TempPathFactory, values: np.ndarray, decimals: list[int],
    piece: int,
) -> None:
    path = tmp_path_factory.mktemp("s") / "x.csv"
    body = render(values, decimals)
    path.write_bytes(b"t,a,b\n" + body)
    streamed = read_fixed_table(path, ",", pick, piece_bytes=piece)
    assert streamed is not None  # really read in pieces
    assert_same(streamed, whole(path))
    np.testing.assert_array_equal(streamed.values, parse_fixed_decimals(body, ",", 3))
    two = read_fixed_table(path, ",", pick_two, piece_bytes=piece)
    assert two is not None
    assert_same(two, whole(path, pick_two))


GOOD = b"0.00,1.50,-2.250\n" * 40


@pytest.mark.parametrize(
    ("body", "streams"),
    [
        (GOOD, True),
        (GOOD[:-1], True),  # no newline after the last line
        (GOOD + b"\n\n", False),  # trailing blank lines: read whole, as before
        (GOOD + b"  \n", False),
        (GOOD[:-1] + b"\r", False),
        (GOOD + b"0.01,1.50\n" + GOOD, False),  # a short row in a later piece
        (GOOD + b"0.01,nan,-2.250\n", False),
        (GOOD + b"0.01,1.5,-2.250\n", False),  # fewer decimals
        (GOOD + b"0.01,\n1.50,-2.250\n", False),  # a newline after a separator
        (b"\n" + GOOD, False),
        (b"", False),
        (b"   \n", False),
        (b"1,2,3\n", False),  # integers: loadtxt's job
        (b"0.00,1.50,-2.250\r\n" * 3, False),
    ],
)
def test_what_pieces_decline_reads_whole_with_the_same_table_or_error(
    tmp_path: Path, body: bytes, streams: bool
) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"t,a,b\n" + body)
    for piece in (0, 40, 1 << 20):
        streamed = read_fixed_table(path, ",", pick, piece_bytes=piece)
        assert (streamed is not None) == streams
        if streamed is not None:
            assert_same(streamed, whole(path))
    assert_same(loaded(path), whole(path))


def test_a_line_longer_than_the_buffer(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    long_row = b"0." + b"1" * 9 + b"," + b"7" * 6000 + b".5,2.25\n"
    path.write_bytes(b"t,a,b\n" + long_row + b"0.222222222,3.5,4.25\n")
    streamed = read_fixed_table(path, ",", pick, piece_bytes=0)
    assert_same(loaded(path), whole(path))
    assert streamed is None or isinstance(whole(path), Table)


@pytest.mark.parametrize(
    "content",
    [
        b"\xef\xbb\xbft,a,b\n" + GOOD,  # a byte-order mark before the header
        b"t,a,x\n" + GOOD,  # not the format's header: the same error
        b"\xff\xfe,a,b\n" + GOOD,  # a header that is not text
        b"\n" + GOOD,  # no header line
    ],
)
def test_headers_read_as_before(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    assert_same(loaded(path), whole(path))


def test_gzip_and_missing_files_take_the_whole_route(tmp_path: Path) -> None:
    gz = tmp_path / "x.csv.gz"
    gz.write_bytes(gzip.compress(b"t,a,b\n" + GOOD))
    assert read_fixed_table(gz, ",", pick) is None
    table = loaded(gz)
    assert isinstance(table, Table) and table.values.shape == (40, 3)
    assert_same(table, whole(gz))
    missing = tmp_path / "none.csv"
    assert read_fixed_table(missing, ",", pick) is None
    assert loaded(missing) == whole(missing) and "file not found" in str(loaded(missing))
