"""Medians without their general-purpose overhead (the rep loop calls them per rep).

``statistics`` costs 5 ms of imports (fractions, decimal, random) for one function, and
``np.median`` ~15 µs of dispatch per call on arrays of a few dozen samples.
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
    if n % 2:
        return float(np.partition(x, k)[k])
    part = np.partition(x, (k - 1, k))
    return float((part[k - 1] + part[k]) / 2)
