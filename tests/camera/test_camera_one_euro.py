"""The causal One Euro smoother: jitter down, lag small, chunking irrelevant, holes reset."""

from __future__ import annotations

import numpy as np
import pytest

from sensors.camera.one_euro import OneEuroFilter


def test_jitter_is_reduced_and_a_slow_ramp_follows():
    rng = np.random.default_rng(1)
    t = np.arange(300) / 30.0
    truth = 10.0 * t  # 10°/s
    noisy = truth + rng.normal(0, 3.0, t.shape)
    out = OneEuroFilter(1.5, 0.02).process(t, noisy)
    err_in = np.std(noisy[60:] - truth[60:])
    err_out = np.std(out[60:] - truth[60:])
    assert err_out < 0.6 * err_in
    assert abs(np.mean(out[60:] - truth[60:])) < 3.0  # lag of a 10°/s ramp under 0.3 s


def test_chunking_gives_the_same_output():
    rng = np.random.default_rng(2)
    t = np.arange(200) / 30.0
    x = np.sin(t) * 40 + rng.normal(0, 2, t.shape)
    whole = OneEuroFilter().process(t, x)
    f = OneEuroFilter()
    parts = np.concatenate([f.process(t[i:i + 7], x[i:i + 7]) for i in range(0, 200, 7)])
    np.testing.assert_array_equal(whole, parts)


def test_nan_passes_through_and_a_long_hole_restarts():
    f = OneEuroFilter(1.0, 0.0, reset_after_s=0.5)
    t = np.arange(10) / 10.0
    x = np.array([0, 0, 0, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, 50.0])
    out = f.process(t, x)
    assert np.isnan(out[3:9]).all()
    assert out[9] == 50.0  # 0.7 s hole: not dragged towards the value before it
    g = OneEuroFilter(1.0, 0.0, reset_after_s=0.5)
    short = g.process(np.array([0.0, 0.1, 0.2]), np.array([0.0, np.nan, 50.0]))
    assert 0.0 < short[2] < 50.0  # 0.2 s hole: still smoothed


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError):
        OneEuroFilter(min_cutoff_hz=0.0)
