"""Sample-sequence bookkeeping for one device's IMU batches, serial or BLE (pure).

IMU_BATCH carries ``sample_seq`` (index of its first sample since START, u32, wraps):
a jump forward is a gap (samples lost on the way), a batch that ends at or before what
we already have is a duplicate (skipped), a batch that overlaps is trimmed, and a jump
back by more than ``restart_window`` samples means the wearable started streaming again.
:class:`MonotonicTimes` keeps the host times of a stream increasing across clock re-fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

SAMPLE_SEQ_MOD = 1 << 32
RESTART_WINDOW = 4096  # samples: 41 s at 100 Hz; further back is a restart, not a repeat


class Verdict(StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"
    RESTART = "restart"


@dataclass(slots=True)
class LinkCounters:
    """What the monitor and the bench show for one device (mutable, one owner).

    ``notifications`` and ``corrupt`` are counted by the transport (a BLE notification,
    a value that does not parse); the rest by :class:`SeqTracker` and the host machine.
    """

    notifications: int = 0
    batches: int = 0
    samples: int = 0
    corrupt: int = 0
    gaps: int = 0
    lost: int = 0
    duplicates: int = 0
    restarts: int = 0
    trimmed: int = 0


class SeqTracker:
    """Classifies batches by ``sample_seq``; ``counters`` holds the running figures."""

    def __init__(self, restart_window: int = RESTART_WINDOW) -> None:
        self.restart_window = restart_window
        self.counters = LinkCounters()
        self._expected: int | None = None

    def reset(self, expected: int | None = 0) -> None:
        """A new START: ``sample_seq`` counts from ``expected`` (None: take the first)."""
        self._expected = expected

    def accept(self, sample_seq: int, n: int) -> tuple[Verdict, int]:
        """(verdict, samples to skip at the front). NEW batches may overlap what we had."""
        c = self.counters
        if self._expected is None:
            self._expected = sample_seq
        ahead = (sample_seq - self._expected) % SAMPLE_SEQ_MOD
        if ahead < SAMPLE_SEQ_MOD // 2:
            if ahead:
                c.gaps += 1
                c.lost += ahead
            self._expected = (sample_seq + n) % SAMPLE_SEQ_MOD
            return Verdict.NEW, 0
        behind = SAMPLE_SEQ_MOD - ahead
        if behind > self.restart_window:
            c.restarts += 1
            self._expected = (sample_seq + n) % SAMPLE_SEQ_MOD
            return Verdict.RESTART, 0
        if behind >= n:
            c.duplicates += 1
            return Verdict.DUPLICATE, n
        c.trimmed += behind
        self._expected = (sample_seq + n) % SAMPLE_SEQ_MOD
        return Verdict.NEW, behind


class MonotonicTimes:
    """Keeps a stream's host times increasing across clock re-fits and reconnections."""

    STEP_S = 1e-4  # a fresh fit that stepped back: continue this far after the last time

    def __init__(self) -> None:
        self.last_t = -np.inf

    def fix(self, t: np.ndarray) -> np.ndarray:
        if t.size and t[0] <= self.last_t:
            t = t + (self.last_t - t[0]) + self.STEP_S
        if t.size:
            self.last_t = float(t[-1])
        return t
