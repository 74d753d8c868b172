"""ReplaySource streams a recording through the SampleSource port, in order, any chunking."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sensors.replay import Recording, ReplayFormat, ReplaySource, load_recording, write_csv
from sensors.source import SampleSource
from sensors.types import BodySegment, ImuChunk


def recording(n: int = 250, rate_hz: float = 50.0, mag: bool = True) -> Recording:
    rng = np.random.default_rng(3)
    t = np.arange(n) / rate_hz
    chunk = ImuChunk(
        t,
        rng.normal(0, 1, (n, 3)) + [0, 0, 9.81],
        rng.normal(0, 1, (n, 3)),
        rng.normal(0, 1, (n, 3)) if mag else None,
    )
    return Recording(chunk, rate_hz, ReplayFormat.CSV, Path("mem.csv"), 0, "mem")


async def collect(src: ReplaySource) -> list[ImuChunk]:
    return [c async for c in src]


def assert_equal_chunks(a: ImuChunk, b: ImuChunk) -> None:
    np.testing.assert_array_equal(a.t_s, b.t_s)
    np.testing.assert_array_equal(a.accel_m_s2, b.accel_m_s2)
    np.testing.assert_array_equal(a.gyro_rad_s, b.gyro_rad_s)
    if a.mag is None or b.mag is None:
        assert a.mag is None and b.mag is None
    else:
        np.testing.assert_array_equal(a.mag, b.mag)


async def test_is_a_sample_source_with_info() -> None:
    rec = recording()
    src = ReplaySource(rec)
    assert isinstance(src, SampleSource)
    assert src.info.sensor_id == "mem"
    assert src.info.segment == BodySegment.UNKNOWN
    assert src.info.rate_hz == 50.0
    told = ReplaySource(rec, segment=BodySegment.SHANK)
    assert told.info.segment == BodySegment.SHANK


@pytest.mark.parametrize("chunk_size", [1, 7, 32, 250, 1000])
async def test_chunks_concatenate_back(chunk_size: int) -> None:
    rec = recording()
    chunks = await collect(ReplaySource(rec, chunk_size=chunk_size))
    assert all(1 <= len(c) <= chunk_size for c in chunks)
    assert len(chunks) == -(-250 // chunk_size)
    assert_equal_chunks(ImuChunk.concat(chunks), rec.chunk)


@settings(max_examples=30, deadline=None)
@given(chunk_size=st.integers(1, 300), n=st.integers(1, 300), mag=st.booleans())
def test_any_chunk_size_reproduces_the_recording(chunk_size: int, n: int, mag: bool) -> None:
    rec = recording(n=n, mag=mag)
    chunks = asyncio.run(collect(ReplaySource(rec, chunk_size=chunk_size)))
    assert_equal_chunks(ImuChunk.concat(chunks), rec.chunk)


async def test_file_to_source_round_trip(tmp_path: Path) -> None:
    rec = recording()
    path = write_csv(tmp_path / "r.csv", rec.chunk)
    loaded = load_recording(path)
    chunks = await collect(ReplaySource(loaded, chunk_size=10))
    np.testing.assert_allclose(ImuChunk.concat(chunks).gyro_rad_s, rec.chunk.gyro_rad_s, atol=1e-6)


async def test_aclose_stops_iteration() -> None:
    src = ReplaySource(recording(), chunk_size=10)
    first = await src.__anext__()
    assert len(first) == 10
    await src.aclose()
    assert await collect(src) == []


class FakeClock:
    """Time that only moves when the source sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, dt: float) -> None:
        self.sleeps.append(dt)
        self.now += dt


@pytest.mark.parametrize("speed", [1.0, 4.0])
async def test_realtime_paces_chunks_by_their_last_sample(speed: float) -> None:
    clock = FakeClock()
    rec = recording(n=250, rate_hz=50.0)
    src = ReplaySource(
        rec, chunk_size=25, realtime=True, speed=speed, clock=clock, sleep=clock.sleep
    )
    delivered: list[float] = []
    async for chunk in src:
        delivered.append(clock.now - 100.0)
        # a chunk never arrives before its last sample was "measured"
        assert clock.now - 100.0 >= (chunk.t_s[-1] - rec.chunk.t_s[0]) / speed - 1e-9
    np.testing.assert_allclose(delivered, (np.arange(25 - 1, 250, 25) / 50.0) / speed, atol=1e-9)


async def test_realtime_does_not_sleep_when_consumer_is_late() -> None:
    clock = FakeClock()
    src = ReplaySource(
        recording(n=100), chunk_size=10, realtime=True, clock=clock, sleep=clock.sleep
    )
    async for _ in src:
        clock.now += 5.0  # a slow consumer
    # only the first chunk waits (for its 10 samples to be "measured"); then it is behind
    assert clock.sleeps == [pytest.approx(9 / 50.0)]


@pytest.mark.timeout(10)
async def test_realtime_with_the_real_clock() -> None:
    rec = recording(n=51, rate_hz=50.0)  # 1.0 s of samples
    start = time.monotonic()
    chunks = await collect(ReplaySource(rec, chunk_size=10, realtime=True, speed=10.0))
    elapsed = time.monotonic() - start
    assert sum(len(c) for c in chunks) == 51
    assert 0.09 <= elapsed < 2.0


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        ReplaySource(recording(), chunk_size=0)
    with pytest.raises(ValueError, match="speed"):
        ReplaySource(recording(), speed=0.0)
