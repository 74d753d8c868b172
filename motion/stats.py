"""Medians and differences without their general-purpose overhead (per-chunk hot path).

``statistics`` costs 5 ms of imports (fractions, decimal, random) for one function, and
``np.median`` / ``np.diff`` some µs of dispatch per call on arrays of a few dozen samples.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def median_of(values: Iterable[float]) -> float:
    """Median of a few numbers, like ``statistics.median`` (mean of the middle two)."""
    s = sorted(values)
    n = len(s)
    if n == 0:
        raise ValueError("median of no values")
    k = n // 2
    return float(s[k]) if n % 2 else (s[k - 1] + s[k]) / 2


def median_array(x: np.ndarray) -> float:
    """``np.median`` of a short 1-D array (the same value)."""
    n = x.shape[0]
    k = n // 2
    part = x.copy()  # what np.partition does, without its Python wrapper (~2,000 calls an hour)
    if n % 2:
        part.partition(k)
        return float(part[k])
    part.partition((k - 1, k))
    return float((part[k - 1] + part[k]) / 2)


def steps(x: np.ndarray, prev: float) -> np.ndarray:
    """``x[i] - x[i - 1]`` with ``prev`` before ``x[0]``: ``np.diff(x, prepend=prev)``."""
    out = np.empty(x.shape[0])
    if out.shape[0]:
        out[0] = x[0] - prev
        np.subtract(x[1:], x[:-1], out=out[1:])
    return out
