"""Fakes for the session controller tests: a source of chunks and a tiny analyzer."""

from __future__ import annotations

import asyncio

import numpy as np

from motion.types import Rep
from sensors.types import BodySegment, ImuChunk, SourceInfo


def chunk(t0: float, n: int, rate_hz: float = 100.0) -> ImuChunk:
    t = t0 + np.arange(n) / rate_hz
    return ImuChunk(t, np.tile([0.0, 0.0, 9.81], (n, 1)), np.zeros((n, 3)))


class ListSource:
    """Yields the given chunk sizes (100 Hz, continuous times)."""

    def __init__(self, sizes: list[int], rate_hz: float = 100.0, pause_s: float = 0.0) -> None:
        self.info = SourceInfo("fake", BodySegment.SHANK, rate_hz)
        self.sizes = sizes
        self.rate_hz = rate_hz
        self.pause_s = pause_s
        self.closed = False

    async def _gen(self):  # type: ignore[no-untyped-def]
        t = 0.0
        for n in self.sizes:
            if self.closed:
                return
            await asyncio.sleep(self.pause_s)
            yield chunk(t, n, self.rate_hz)
            t += n / self.rate_hz

    def __aiter__(self):  # type: ignore[no-untyped-def]
        return self._gen()

    async def aclose(self) -> None:
        self.closed = True


class FakeAnalyzer:
    """Emits one rep every ``every`` samples fed (same shape as SetAnalyzer)."""

    def __init__(self, rate_hz: float, rom: float, hold: float, two: bool,
                 every: int = 100) -> None:
        self.rate_hz, self.rom, self.two, self.every = rate_hz, rom, two, every
        self.reps_: list[Rep] = []
        self.fed = 0
        self.pairs: list[tuple[int, int]] = []

    def feed(self, c: ImuChunk, proximal: ImuChunk | None = None) -> list[Rep]:
        if self.two:
            assert proximal is not None and len(proximal) == len(c)
            assert np.allclose(proximal.t_s, c.t_s)
            self.pairs.append((len(c), len(proximal)))
        out = []
        for t in c.t_s:
            self.fed += 1
            if self.fed % self.every == 0:
                n = len(self.reps_) + 1
                rep = Rep(n, t - 0.9, t - 0.5, float(t), float(t), self.rom - n, 0.4, 0.4, 0.4,
                          self.rom)
                self.reps_.append(rep)
                out.append(rep)
        return out

    def finish(self) -> list[Rep]:
        return []
