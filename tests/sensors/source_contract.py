"""The sample-source contract of ``sensors/source.py``, run on every implementation.

Each implementation's test module subclasses :class:`ImuSourceContract` (or
:class:`SourceContract` with its own sample checks) and says how to build its source; the
tests here are then collected once per implementation (gaitmap's mixin tests). What is
checked is what ``sensors/source.py`` documents:

- info before iterating; ``isinstance(source, SampleSource)`` (IMU sources);
- chunks of >= 1 sample, times strictly increasing within and across chunks, spaced about
  ``1 / info.rate_hz``; the units the names say;
- a finite source ends by itself and stays ended; a live one ends once closed;
- ``aclose`` before iterating, mid-stream and twice: no error, and iteration ends;
- a source that cannot go on ends or raises a ``SensorError``, nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any, ClassVar

import numpy as np
import pytest

from sensors.sim import SimConfig, simulate
from sensors.source import SampleSource, SensorError
from sensors.types import STANDARD_GRAVITY_M_S2, BodySegment, ImuChunk, SourceInfo

ENDED = "ended"  # what :meth:`SourceContract.failure` returns when the stream just ended


def contract_motion() -> ImuChunk:
    """One seated knee extension at 100 Hz between 4 s and 2 s of stillness, no drops."""
    return simulate(SimConfig(exercise_id="knee_extension_seated", reps=1, rate_hz=100.0,
                              seed=7, drop_prob=0.0, initial_still_s=4.0)).distal


class SourceContract:
    """The contract; a subclass builds the source under test.

    ``FINITE``: the source ends by itself after its data (a file, a simulation, a video);
    otherwise it runs until closed (a wearable, the serial bridge). ``MIN_SAMPLES``: how
    many samples to read from a live source before checking them.
    """

    FINITE: ClassVar[bool] = True
    MIN_SAMPLES: ClassVar[int] = 200
    TIMEOUT_S: ClassVar[float] = 30.0

    # ---- what an implementation provides ----

    async def make(self, stack: contextlib.AsyncExitStack) -> Any:
        """A fresh, unstarted source; register anything to clean up on ``stack``."""
        raise NotImplementedError

    async def failure(self, stack: contextlib.AsyncExitStack) -> BaseException | str:
        """Make the source fail the way it can (bad input, a device lost, a port broken)
        and return what its consumer saw: the exception raised while building or
        iterating it, or :data:`ENDED` when the stream simply ended."""
        raise NotImplementedError

    def check_samples(self, chunks: Sequence[Any], info: SourceInfo) -> None:
        """The chunk type and the units of its values."""
        raise NotImplementedError

    # ---- helpers ----

    @pytest.fixture
    async def stack(self) -> AsyncIterator[contextlib.AsyncExitStack]:
        async with contextlib.AsyncExitStack() as stack:
            yield stack

    async def read(self, source: Any, min_samples: int | None = None) -> list[Any]:
        """Chunks until the source ends (or, live, ``min_samples`` have come)."""
        want = min_samples if min_samples is not None else (
            None if self.FINITE else self.MIN_SAMPLES)
        chunks: list[Any] = []

        async def loop() -> None:
            got = 0
            async for chunk in source:
                chunks.append(chunk)
                got += len(chunk)
                if want is not None and got >= want:
                    return

        await asyncio.wait_for(loop(), self.TIMEOUT_S)
        return chunks

    async def rest(self, source: Any, timeout_s: float | None = None) -> list[Any]:
        """What iterating still gives; fails unless the stream ends within the timeout."""
        out: list[Any] = []

        async def loop() -> None:
            async for chunk in source:
                out.append(chunk)

        await asyncio.wait_for(loop(), timeout_s if timeout_s is not None else self.TIMEOUT_S)
        return out

    # ---- the contract ----

    async def test_info_is_there_before_iterating(self, stack) -> None:
        source = await self.make(stack)
        info = source.info
        assert isinstance(info, SourceInfo)
        assert isinstance(info.sensor_id, str) and info.sensor_id
        assert isinstance(info.segment, BodySegment)
        assert info.rate_hz > 0
        await source.aclose()

    async def test_chunks_come_in_time_order_in_the_documented_units(self, stack) -> None:
        source = await self.make(stack)
        chunks = await self.read(source)
        await source.aclose()
        assert chunks and all(len(c) >= 1 for c in chunks)
        for c in chunks:
            assert np.all(np.diff(c.t_s) > 0), "times within a chunk must increase"
        for a, b in zip(chunks, chunks[1:]):
            assert b.t_s[0] > a.t_s[-1], "a chunk must start after the one before it"
        t = np.concatenate([c.t_s for c in chunks])
        assert float(np.median(np.diff(t))) == pytest.approx(1.0 / source.info.rate_hz,
                                                             rel=0.05)
        self.check_samples(chunks, source.info)

    async def test_the_end_of_the_stream(self, stack) -> None:
        """Finite: ends by itself and stays ended. Live: ends once closed."""
        source = await self.make(stack)
        it = source.__aiter__()
        if self.FINITE:
            await self.read(source)
            for _ in range(2):
                with pytest.raises(StopAsyncIteration):
                    await asyncio.wait_for(it.__anext__(), self.TIMEOUT_S)
        else:
            assert len(await self.read(source, min_samples=1)) >= 1
            await source.aclose()
            await self.rest(source)
            with pytest.raises(StopAsyncIteration):
                await asyncio.wait_for(it.__anext__(), self.TIMEOUT_S)
        await source.aclose()

    async def test_aclose_before_iterating_and_twice(self, stack) -> None:
        source = await self.make(stack)
        await source.aclose()
        await source.aclose()
        assert await self.rest(source) == []

    async def test_aclose_mid_stream_ends_the_iteration(self, stack) -> None:
        source = await self.make(stack)
        first = await self.read(source, min_samples=1)
        assert first
        await source.aclose()
        await source.aclose()
        await self.rest(source)  # chunks already received may still come; then it ends
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(source.__aiter__().__anext__(), self.TIMEOUT_S)

    async def test_a_failure_is_the_end_or_a_sensor_error(self, stack) -> None:
        outcome = await self.failure(stack)
        if outcome != ENDED:
            assert isinstance(outcome, SensorError), repr(outcome)
            assert str(outcome), "the error must say what is wrong"


class ImuSourceContract(SourceContract):
    """The contract for IMU sources: :class:`ImuChunk` s in m/s² and rad/s, and the
    :class:`SampleSource` protocol. ``motion`` is the simulated motion the source plays
    (:func:`contract_motion`). ``VALUES_ATOL`` (None: not compared) is how closely its values
    must come back sample for sample (a file's text rounds them; a wire quantises them).
    ``FULL_MOTION``: the source delivers the motion from its first sample (False for a
    wearable that plays it on its own clock from power-on, so its first seconds may pass
    before the host subscribes)."""

    VALUES_ATOL: ClassVar[float | None] = None
    FULL_MOTION: ClassVar[bool] = True
    motion: ClassVar[ImuChunk] = contract_motion()
    MIN_SAMPLES: ClassVar[int] = len(motion)

    async def test_it_is_a_sample_source(self, stack) -> None:
        source = await self.make(stack)
        assert isinstance(source, SampleSource)
        await source.aclose()

    def check_samples(self, chunks: Sequence[Any], info: SourceInfo) -> None:
        assert all(isinstance(c, ImuChunk) for c in chunks)
        got = ImuChunk.concat(list(chunks))
        # Mostly still: specific force of about 1 g, in m/s² (not in g).
        g = np.linalg.norm(got.accel_m_s2, axis=1)
        assert float(np.median(g)) == pytest.approx(STANDARD_GRAVITY_M_S2, abs=0.3)
        # Angular rate in rad/s: the motion's peak, not 57 times more.
        ref = float(np.abs(self.motion.gyro_rad_s).max())
        peak = float(np.abs(got.gyro_rad_s).max())
        assert peak <= 1.1 * ref + 0.05
        if self.FULL_MOTION:
            assert len(got) >= len(self.motion)
            assert peak >= 0.9 * ref
        if self.VALUES_ATOL is not None:
            assert len(got) == len(self.motion)
            for name in ("t_s", "accel_m_s2", "gyro_rad_s"):
                np.testing.assert_allclose(getattr(got, name), getattr(self.motion, name),
                                           rtol=0.0, atol=self.VALUES_ATOL, err_msg=name)
