"""The batched period estimate (projection detrend, FFT autocorrelation, vectorised peak
pick) agrees with a plain one-window-at-a-time computation and ignores the chunking."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from motion.period import PeriodEstimator, fft_length

RATE_HZ = 25.0


def reference_period(y: np.ndarray, est: PeriodEstimator) -> tuple[float | None, float]:
    """The estimate for one window y (n, channels), written out directly: least-squares
    line removed per channel, each channel's lagged products summed, peak pick."""
    n = y.shape[0]
    t = np.arange(n)
    x = np.stack([c - np.polyval(np.polyfit(t, c, 1), t) for c in y.T], axis=1)
    var = float((x * x).sum())
    max_lag = min(est.max_lag, n // 2)
    if var <= 1e-9 * n or max_lag <= est.min_lag:
        return None, 0.0
    ac = np.array([(x[: n - k] * x[k:]).sum() * n / (n - k) / var for k in range(max_lag + 1)])
    peaks = [k for k in range(est.min_lag, max_lag) if ac[k] > ac[k - 1] and ac[k] >= ac[k + 1]]
    if not peaks or not max(ac[peaks]) > 0:
        return None, 0.0
    best = max(ac[peaks])
    first = next(k for k in peaks if ac[k] >= est.peak_share * best)
    strength = float(ac[first])
    return (first / est.rate_hz if strength >= est.min_strength else None), strength


def movement(seconds: float, period_s: float, seed: int, noise: float = 0.2) -> np.ndarray:
    """Six channels repeating every ``period_s`` (two bumps a cycle on one), drift, noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE_HZ)) / RATE_HZ
    w = 2 * np.pi * t / period_s
    chans = [np.sin(w + k) * (1 + k / 3) for k in range(5)]
    chans.append(np.sin(2 * w) + 0.4 * np.sin(w))  # a row: two bumps per rep
    y = np.stack(chans, axis=1) + 0.01 * t[:, None] + noise * rng.standard_normal((t.size, 6))
    return y


def test_each_refresh_matches_the_plain_computation():
    y = movement(60.0, 2.8, seed=1)
    y[900:1100] = 0.05  # a rest: no period there
    est = PeriodEstimator(RATE_HZ)
    updates = est.add(y[:700]) + est.add(y[700:])
    assert [s for s, _ in updates] == list(range(est.hop_n, y.shape[0] + 1, est.hop_n))
    periods = [p for _, p in updates]
    for seen, period in updates:
        window = y[max(0, seen - est.window_n) : seen]
        if window.shape[0] < 2 * est.hop_n:
            continue  # too short to estimate: the previous estimate stands
        assert period == reference_period(window, est)[0], seen
    assert periods[-1] == 2.8 and est.period_s_ == 2.8  # the cycle, not its half
    assert abs(est.strength_ - reference_period(y[-est.window_n :], est)[1]) < 1e-9
    assert None in periods  # the rest had no clear period
    assert 2.8 in periods[: 40 // 2]


@pytest.mark.parametrize(("period_s", "noise"), [(1.0, 0.6), (1.2, 1.0), (3.3, 3.0), (9.0, 0.1)])
def test_every_window_of_fast_slow_and_noisy_movement_matches(period_s, noise):
    """A fast movement has peaks at one, two and three periods, alike within noise (the
    first within ``peak_share`` of the best is the period); a noisy one has many small
    peaks; a slow one none in the lags looked at."""
    for seed in range(3):
        y = movement(120.0, period_s, seed, noise)
        est = PeriodEstimator(RATE_HZ)
        updates = est.add(y)
        expected = [reference_period(y[max(0, s - est.window_n) : s], est)[0]
                    for s, _ in updates[1:]]
        assert [p for _, p in updates[1:]] == expected


@settings(max_examples=30, deadline=None)
@given(cuts=st.lists(st.integers(1, 300), min_size=1, max_size=12), seed=st.integers(0, 3))
def test_the_estimate_does_not_depend_on_the_chunking(cuts, seed):
    y = movement(40.0, 1.6 + seed / 2, seed)
    whole = PeriodEstimator(RATE_HZ).add(y)
    est, parts, i = PeriodEstimator(RATE_HZ), [], 0
    for k in range(len(y)):
        step = cuts[k % len(cuts)]
        parts += est.add(y[i : i + step])
        i += step
        if i >= len(y):
            break
    assert parts == whole


def test_flat_and_one_channel_input():
    est = PeriodEstimator(RATE_HZ)
    assert all(p is None for _, p in est.add(np.zeros((600, 6))))
    assert est.strength_ == 0.0
    one = PeriodEstimator(RATE_HZ)
    out = one.add(np.sin(2 * np.pi * np.arange(500) / RATE_HZ / 2.0))
    assert out[-1] == (500, 2.0)


def test_fft_length_is_the_smallest_fast_size_covering_the_lags():
    """The padding covers window + lags read (no wrap-around reaches them, which the
    reference comparisons above would catch) and is the smallest 2**j or 3 * 2**j doing so."""
    fast = sorted({1 << j for j in range(14)} | {3 << j for j in range(13)})
    for k in range(1, 4000):
        assert fft_length(k) == next(m for m in fast if m >= k), k
    assert fft_length(250 + 100) == 384  # a 10 s window at 25 Hz, lags up to 4 s
