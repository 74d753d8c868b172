"""The fixed-decimal fast path agrees with numpy.loadtxt, and declines what it cannot read."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sensors.replay.fastparse import parse_fixed_decimals
from sensors.replay.table import parse_table


def render(values: np.ndarray, decimals: list[int], delimiter: str) -> bytes:
    lines = [delimiter.join(f"{v:.{d}f}" for v, d in zip(row, decimals)) for row in values]
    return ("\n".join(lines) + "\n").encode()


@settings(max_examples=60, deadline=None)
@given(
    values=arrays(
        np.float64,
        st.tuples(st.integers(1, 40), st.integers(1, 10)),
        elements=st.floats(-1e5, 1e5, allow_nan=False),
    ),
    data=st.data(),
    delimiter=st.sampled_from([",", ";"]),
)
def test_fast_path_equals_loadtxt(values: np.ndarray, data: st.DataObject, delimiter: str) -> None:
    decimals = data.draw(
        st.lists(st.integers(1, 9), min_size=values.shape[1], max_size=values.shape[1])
    )
    body = render(values, decimals, delimiter)
    fast = parse_fixed_decimals(body, delimiter, values.shape[1])
    assert fast is not None
    slow = np.loadtxt(io.BytesIO(body), delimiter=delimiter, ndmin=2)
    np.testing.assert_array_equal(fast, slow)
    # the same body read in pieces (a line each here; files go in pieces of ~1 MB)
    pieces = parse_fixed_decimals(body, delimiter, values.shape[1], piece_bytes=0)
    assert pieces is not None
    np.testing.assert_array_equal(pieces, slow)


@pytest.mark.parametrize(
    "body",
    [
        b"1.50,2.25\n1.5,2.25\n",  # fewer decimals in a later row
        b"1.50,2.25\n1.500,2.25\n",  # more decimals
        b"1.50,2.25\n1.50,2.25,3.00\n",  # ragged row
        b"1.50,2.25\n\n1.50,2.25\n",  # blank line
        b"1.50,2.25\nnan,2.25\n",
        b"1.50,2.25\n1e-05,2.25\n",
        b"1.50,2.25\r\n1.50,2.25\r\n",
        b"1,2\n3,4\n",  # integers: loadtxt's job
        b"1.50,2.2x\n",
        b"1.50,2.25\n1.50,,\n",
        b"12345678901234.123456789,1.0\n",  # would overflow int64
        b"9007199.254740993,1.0\n",  # 2**53 + 1: not exact as float
    ],
)
def test_fast_path_declines(body: bytes) -> None:
    assert parse_fixed_decimals(body, ",", 2) is None


def test_mixed_decimals_still_parse_right_through_the_fallback(tmp_path: Path) -> None:
    body = b"0.00,9.81\n0.01,9.8\n0.02,9.810\n"
    table = parse_table(tmp_path / "x.csv", "t,az", body, ",", ["t", "az"], [0, 1], 2)
    np.testing.assert_array_equal(table.values, [[0.0, 9.81], [0.01, 9.8], [0.02, 9.81]])
    np.testing.assert_array_equal(table.lines, [2, 3, 4])


@pytest.mark.parametrize("bad", [b"1.5,2.25\n", b"1.50,2.2x\n", b"nan,2.25\n", b"1.50\n"])
def test_a_bad_row_in_any_piece_declines(bad: bytes) -> None:
    good = b"1.50,2.25\n" * 50
    for body in (bad + good, good + bad, good + bad + good):
        assert parse_fixed_decimals(body, ",", 2, piece_bytes=64) is None
    np.testing.assert_array_equal(parse_fixed_decimals(good, ",", 2, piece_bytes=64),
                                  np.tile([1.5, 2.25], (50, 1)))


def test_a_simulated_set_parses_the_same_in_one_piece_and_in_many(tmp_path: Path) -> None:
    from sensors.replay import write_csv
    from sensors.sim import SimConfig, simulate

    res = simulate(SimConfig(exercise_id="elbow_flexion", reps=12, rate_hz=100.0, seed=4))
    path = tmp_path / "set.csv"
    write_csv(path, res.distal)
    data = path.read_bytes()
    body = data[data.index(b"\n") + 1 :]
    one = parse_fixed_decimals(body, ",", 7, piece_bytes=len(body))
    many = parse_fixed_decimals(body, ",", 7, piece_bytes=4096)
    assert one is not None and many is not None and one.shape[0] == len(res.distal)
    np.testing.assert_array_equal(one, many)
