"""The fast medians agree with the library ones they replace."""

import statistics

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from motion.stats import median_array, median_of

finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(st.lists(finite, min_size=1, max_size=40))
def test_median_of_is_statistics_median(values):
    assert median_of(values) == statistics.median(values)


@given(st.lists(finite, min_size=1, max_size=80))
def test_median_array_is_np_median(values):
    x = np.array(values)
    assert median_array(x) == float(np.median(x))


def test_known_values_and_empty():
    assert median_of([3.0, 1.0, 2.0]) == 2.0
    assert median_of([4.0, 1.0, 2.0, 3.0]) == 2.5
    assert median_array(np.array([5.0, -1.0])) == 2.0
    with pytest.raises(ValueError):
        median_of([])
