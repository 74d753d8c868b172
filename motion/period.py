"""The set's repetition period, from the autocorrelation of the recent movement.

Some movements turn the sensor one way and back twice in one repetition (a row, a
press: the wrist tilts as the weight rises and again as it comes down), so the angle
shows two bumps per rep. The autocorrelation of a periodic signal peaks at its period;
a two-bump cycle also peaks at half the period, lower when the bumps differ. The period
is the first autocorrelation peak within ``peak_share`` of the highest one — summed
over every channel fed (the sensor's six: the whole movement repeats only once per rep,
even when one angle bumps twice) — and it is
trusted only when that peak is strong (``min_strength``): a set with rests, holds or a
change of tempo has no clear period and nothing is gated.

Recomputed every ``hop_s`` of samples counted from the first one, over the last
``window_s``, so the estimate does not depend on how the stream is chunked.
"""

from __future__ import annotations

import numpy as np


class PeriodEstimator:
    """Streaming autocorrelation period of a regularly sampled signal."""

    def __init__(self, rate_hz: float, *, window_s: float = 10.0, hop_s: float = 2.0,
                 min_lag_s: float = 0.5, max_lag_s: float = 4.0, min_strength: float = 0.5,
                 peak_share: float = 0.9) -> None:
        self.rate_hz = float(rate_hz)
        self.window_n = max(8, int(round(window_s * rate_hz)))
        self.hop_n = max(1, int(round(hop_s * rate_hz)))
        self.min_lag = max(1, int(round(min_lag_s * rate_hz)))
        self.max_lag = int(round(max_lag_s * rate_hz))
        self.min_strength = min_strength
        self.peak_share = peak_share
        self._buf: np.ndarray | None = None
        self._filled = 0
        self._seen = 0
        self.period_s_: float | None = None
        self.strength_ = 0.0
        self._const_n = -1
        self._const: tuple[np.ndarray, float, np.ndarray] = (np.empty(0), 0.0, np.empty(0))

    def add(self, x: np.ndarray) -> list[tuple[int, float | None]]:
        """Feed samples (n,) or (n, channels); the estimate is refreshed at every whole hop.

        Returns the refreshes as (samples seen, period or None): a caller walking the
        same samples uses each from that sample on, whatever the chunking.
        """
        x = x.reshape(x.shape[0], -1)
        w = self.window_n
        if self._buf is None:
            self._buf = np.zeros((w, x.shape[1]))
        n, seen0, filled0 = x.shape[0], self._seen, self._filled
        hist = np.concatenate([self._buf, x]) if n else self._buf
        # Every whole hop in this chunk: the window ending there, as far as it is filled.
        hops = np.arange((seen0 // self.hop_n + 1) * self.hop_n, seen0 + n + 1, self.hop_n)
        periods: list[float | None] = []
        if hops.size:
            ends = hops - seen0 + w  # exclusive end of each window in ``hist``
            filled = np.minimum(w, filled0 + hops - seen0)
            full = filled == w
            for end, k in zip(ends[~full], filled[~full]):  # the first window_s only
                periods += self._estimate_all(hist[None, end - k : end])
            if full.any():
                windows = np.lib.stride_tricks.sliding_window_view(hist, w, axis=0)
                periods += self._estimate_all(windows[ends[full] - w].transpose(0, 2, 1))
        self._buf = hist[-w:]
        self._filled = min(w, filled0 + n)
        self._seen = seen0 + n
        return [(int(s), p) for s, p in zip(hops, periods)]

    def _consts(self, n: int) -> tuple[np.ndarray, float, np.ndarray]:
        """Centred sample index, its square sum, and n / (n - lag) (cached per length)."""
        if self._const_n != n:
            r = (np.arange(n) - 0.5 * (n - 1))[None, :, None]
            self._const = (r, float((r * r).sum()), n / (n - np.arange(n // 2 + 1)))
            self._const_n = n
        return self._const

    def _estimate_all(self, y: np.ndarray) -> list[float | None]:
        """Estimates for windows ``y`` (m, n, channels) of one length n, in one batch."""
        m, n = y.shape[0], y.shape[1]
        if n < 2 * self.min_lag or n < 2 * self.hop_n:
            return [self.period_s_] * m
        # Without its linear trend: a rest level that drifts is not a period.
        r, rr, unbias = self._consts(n)
        x = y - y.mean(axis=1, keepdims=True) - r * ((r * y).sum(axis=1, keepdims=True) / rr)
        var = (x * x).sum(axis=(1, 2))
        max_lag = min(self.max_lag, n // 2)
        f = np.fft.rfft(x, 1 << (2 * n - 1).bit_length(), axis=1)
        power = (f.real * f.real + f.imag * f.imag).sum(axis=2)
        acs = np.fft.irfft(power, axis=1)[:, : max_lag + 1]
        out: list[float | None] = []
        for ac, v in zip(acs, var):
            self._pick(ac, float(v), n, max_lag, unbias)
            out.append(self.period_s_)
        return out

    def _pick(self, ac: np.ndarray, var: float, n: int, max_lag: int,
              unbias: np.ndarray) -> None:
        if var <= 1e-9 * n or max_lag <= self.min_lag:
            self.period_s_, self.strength_ = None, 0.0
            return
        # Unbiased, normalised: each lag's correlation over the samples it overlaps.
        ac = ac * (unbias[: max_lag + 1] / var)
        lags = np.arange(self.min_lag, max_lag)
        peaks = lags[(ac[lags] > ac[lags - 1]) & (ac[lags] >= ac[lags + 1])]
        if peaks.size == 0:
            self.period_s_, self.strength_ = None, 0.0
            return
        best = float(ac[peaks].max())
        if not best > 0.0:  # no positive correlation (or a flat, numerically empty window)
            self.period_s_, self.strength_ = None, 0.0
            return
        first = int(peaks[np.flatnonzero(ac[peaks] >= self.peak_share * best)[0]])
        self.strength_ = float(ac[first])
        self.period_s_ = first / self.rate_hz if self.strength_ >= self.min_strength else None
