"""Device clock -> host clock: offset and drift fitted to time-sync exchanges (pure).

Each exchange is NTP-like: the host notes its clock when it sends TIME_REQ
(``host_send_s``) and when TIME_RESP arrives (``host_recv_s``); the device stamps the
request with its own clock (``device_us``). The device instant is taken to be the
midpoint, which is wrong by at most half the round trip, so only the exchanges with the
smallest round trips of a sliding window are fitted (USB frames every 1 ms put a floor
under the round trip; scheduler hiccups make the tail). The fit is a straight line
host = a + (1 + drift) * device, the drift clamped to what a crystal can do.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Protocol

import numpy as np

MIN_DRIFT_SPAN_S = 2.0  # fit a drift only over at least this much device time
MAX_DRIFT_PPM = 500.0  # a 20 ppm crystal, generously; beyond this the fit is noise


class Clock(Protocol):
    """The host's monotonic clock in seconds (sample times, time-outs, back-off), injectable so
    tests and the emulator can run faster than real time. Calendar time, for what is stored,
    is ``therapy.ports.WallClock``."""

    def now(self) -> float: ...


class MonotonicClock:
    def now(self) -> float:
        return time.monotonic()


class ScaledClock:
    """Virtual seconds that run ``speed`` times faster than the monotonic clock."""

    def __init__(self, speed: float = 1.0) -> None:
        self.speed = speed
        self._m0 = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._m0) * self.speed

    def real_s(self, virtual_s: float) -> float:
        return virtual_s / self.speed


def real_seconds(clock: Clock, seconds: float) -> float:
    """Real seconds that ``seconds`` of ``clock`` time last (a ScaledClock runs faster)."""
    return max(0.0, seconds) / float(getattr(clock, "speed", 1.0))


@dataclass(frozen=True, slots=True)
class SyncExchange:
    host_send_s: float
    device_us: int
    host_recv_s: float

    @property
    def rtt_s(self) -> float:
        return self.host_recv_s - self.host_send_s

    @property
    def host_mid_s(self) -> float:
        return 0.5 * (self.host_send_s + self.host_recv_s)


class ClockMapper:
    """Maps device microseconds to host seconds; results in ``offset_s_``, ``drift_ppm_``."""

    def __init__(self, window: int = 32, keep_fraction: float = 0.5,
                 max_drift_ppm: float = MAX_DRIFT_PPM) -> None:
        self.window = window
        self.keep_fraction = keep_fraction
        self.max_drift_ppm = max_drift_ppm
        self._ex: deque[SyncExchange] = deque(maxlen=window)
        self.synced_ = False
        self.n_syncs_ = 0
        self.rtt_s_ = float("nan")
        self.drift_ppm_ = 0.0
        self._ref_dev_s = 0.0
        self._ref_host_s = 0.0

    @property
    def offset_s_(self) -> float:
        """host - device at the reference point (seconds)."""
        return self._ref_host_s - self._ref_dev_s

    def reset(self) -> None:
        """Forget everything (the device may have rebooted with a new clock)."""
        self._ex.clear()
        self.synced_ = False
        self.drift_ppm_ = 0.0

    def anchor(self, device_us: int, host_s: float) -> None:
        """Without any exchange yet: take ``device_us`` to have happened at ``host_s``."""
        if not self.synced_:
            self._ref_dev_s = device_us * 1e-6
            self._ref_host_s = host_s

    def add_sync(self, host_send_s: float, device_us: int, host_recv_s: float) -> None:
        if host_recv_s < host_send_s:
            raise ValueError("a sync exchange cannot end before it starts")
        self._ex.append(SyncExchange(host_send_s, device_us, host_recv_s))
        self.n_syncs_ += 1
        self._fit()

    def _fit(self) -> None:
        ex = sorted(self._ex, key=lambda e: e.rtt_s)
        keep = ex[: max(1, int(np.ceil(len(ex) * self.keep_fraction)))]
        dev = np.array([e.device_us * 1e-6 for e in keep])
        host = np.array([e.host_mid_s for e in keep])
        self.rtt_s_ = keep[0].rtt_s
        dev0 = float(dev.mean())
        drift = self.drift_ppm_ * 1e-6
        if dev.max() - dev.min() >= MIN_DRIFT_SPAN_S and len(keep) >= 3:
            slope = float(np.polyfit(dev - dev0, host, 1)[0])
            lim = self.max_drift_ppm * 1e-6
            drift = min(max(slope - 1.0, -lim), lim)
        self.drift_ppm_ = drift * 1e6
        self._ref_dev_s = dev0
        self._ref_host_s = float(np.mean(host - (1.0 + drift) * (dev - dev0)))
        self.synced_ = True

    def to_host(self, device_us: int | float | np.ndarray) -> float | np.ndarray:
        dev_s = np.asarray(device_us, dtype=float) * 1e-6
        host = self._ref_host_s + (dev_s - self._ref_dev_s) * (1.0 + self.drift_ppm_ * 1e-6)
        return float(host) if host.ndim == 0 else host
