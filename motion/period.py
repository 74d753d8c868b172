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

# Windows go through the FFT a few at a time, so that no temporary (the padded windows,
# their spectra) outgrows this: larger blocks are fresh memory from the system on every
# call (glibc maps them), and faulting it in cost more than the FFTs (26,000 page faults,
# ~50 ms, for the hour-long replay's 1,800 windows in one process; 200 in blocks this size).
# 400 kB holds 21 windows of 10 s at 25 Hz (six channels of 384 points): a fifth of the
# numpy calls 100 kB made, the same spectra (each window's FFT is its own).
BLOCK_BYTES = 400_000


def fft_length(k: int) -> int:
    """The smallest 2**j or 3 * 2**j >= ``k``: zero padding to it keeps the circular
    autocorrelation's lags up to ``k - n`` free of wrap-around. For a 250-sample window and
    lags up to 100 that is 384 points, not the 512 of 2n - 1 (every lag): 8.7 -> 6.7 µs of
    FFTs a window."""
    pow2 = 1 << max(0, k - 1).bit_length()
    return 3 * pow2 // 4 if 3 * pow2 // 4 >= k else pow2


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
        self._const: tuple[np.ndarray, np.ndarray, np.ndarray] = (np.empty(0),) * 3
        self._pad = np.empty((0, 0, 0))

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
                # The full windows, a hop apart: one strided view of ``hist``, no copy.
                first, m = int(ends[full][0]) - w, int(full.sum())
                row, col = hist.strides
                windows: np.ndarray = np.ndarray((m, w, hist.shape[1]), hist.dtype, hist,
                                                 first * row, (self.hop_n * row, row, col))
                periods += self._estimate_all(windows)
        self._buf = hist[-w:]
        self._filled = min(w, filled0 + n)
        self._seen = seen0 + n
        return [(int(s), p) for s, p in zip(hops, periods)]

    def _consts(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The linear detrend as two fixed matrices for windows of length n (cached per
        length): ``(y @ fit) @ trend`` is the least-squares line through each row of y
        (fit: the mean and the slope against the centred sample index; trend: the line
        they draw), and n / (n - lag), which unbiases the autocorrelation."""
        if self._const_n != n:
            r = np.arange(n) - 0.5 * (n - 1)
            fit = np.stack((np.full(n, 1.0 / n), r / float((r * r).sum())), axis=1)
            trend = np.stack((np.ones(n), r))
            self._const = (fit, trend, n / (n - np.arange(n // 2 + 1)))
            self._const_n = n
        return self._const

    def _padded(self, m: int, channels: int, n: int, n_fft: int) -> np.ndarray:
        """Zeros (m, channels, n_fft) whose first n columns the caller overwrites: kept for
        full windows (the same n each time), so the padding is not fresh zeros per block
        (as with numpy's ``rfft(x, n_fft)``, which allocates them on every call)."""
        pad = self._pad
        if n != self.window_n or pad.shape[0] < m or pad.shape[1:] != (channels, n_fft):
            pad = np.zeros((m, channels, n_fft))
            if n == self.window_n:
                self._pad = pad
        return pad[:m]

    def _estimate_all(self, y: np.ndarray) -> list[float | None]:
        """Estimates for windows ``y`` (m, n, channels) of one length n, in one batch."""
        m, n = y.shape[0], y.shape[1]
        if n < 2 * self.min_lag or n < 2 * self.hop_n:
            return [self.period_s_] * m
        # Without its linear trend (a rest level that drifts is not a period), each
        # channel as a row, written into the zero padding against the FFT's wrap-around;
        # each channel's autocorrelation by FFT, summed over the channels.
        fit, trend, unbias = self._consts(n)
        max_lag = min(self.max_lag, n // 2)
        channels, n_fft = y.shape[2], fft_length(n + max_lag)
        acs, var = np.empty((m, max_lag + 1)), np.empty(m)
        block = max(1, BLOCK_BYTES // (channels * n_fft * 8))
        yt = y.transpose(0, 2, 1)
        for b in range(0, m, block):
            part = yt[b : b + block]
            pad = self._padded(part.shape[0], channels, n, n_fft)
            x = pad[:, :, :n]
            np.subtract(part, (part @ fit) @ trend, out=x)
            np.einsum("ijk,ijk->i", x, x, out=var[b : b + block])
            f = np.fft.rfft(pad, axis=2)
            power = (f.real * f.real + f.imag * f.imag).sum(axis=1)
            acs[b : b + block] = np.fft.irfft(power, n_fft, axis=1)[:, : max_lag + 1]
        return self._pick(acs, var, n, max_lag, unbias)

    def _pick(self, acs: np.ndarray, var: np.ndarray, n: int, max_lag: int,
              unbias: np.ndarray) -> list[float | None]:
        """Each window's period from its autocorrelation ``acs`` (m, max_lag + 1) and
        variance; the estimator's state ends as the last window's."""
        m = acs.shape[0]
        periods: list[float | None] = [None] * m
        strengths = [0.0] * m
        valid = var > 1e-9 * n
        if max_lag > self.min_lag and valid.any():
            # Unbiased, normalised: each lag's correlation over the samples it overlaps.
            ac = acs * (unbias[: max_lag + 1] / np.where(valid, var, 1.0)[:, None])
            lo = self.min_lag
            mid = ac[:, lo:max_lag]
            peak = (mid > ac[:, lo - 1 : max_lag - 1]) & (mid >= ac[:, lo + 1 : max_lag + 1])
            best = np.where(peak, mid, -np.inf).max(axis=1)
            # no peak, or no positive correlation (or a flat, numerically empty window)
            ok = valid & (best > 0.0)
            first = (peak & (mid >= self.peak_share * best[:, None])).argmax(axis=1)
            strength = mid[np.arange(m), first]
            rate, min_strength = self.rate_hz, self.min_strength
            for k in np.flatnonzero(ok).tolist():
                s = strengths[k] = float(strength[k])
                periods[k] = (int(first[k]) + lo) / rate if s >= min_strength else None
        self.period_s_, self.strength_ = periods[-1], strengths[-1]
        return periods
