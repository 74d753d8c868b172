"""SimSource: the SampleSource port over a simulated chunk, instant and real-time."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from sensors.sim import SimConfig, SimSource, sim_sources, simulate
from sensors.source import SampleSource
from sensors.types import ImuChunk


async def drain(src: SimSource) -> list[ImuChunk]:
    return [c async for c in src]


@pytest.mark.timeout(30)
async def test_chunks_rebuild_the_simulation_exactly() -> None:
    res = simulate(SimConfig(reps=2))
    src = SimSource(res.distal, res.info, chunk_size=7)
    assert isinstance(src, SampleSource)
    chunks = await drain(src)
    assert all(1 <= len(c) <= 7 for c in chunks)
    whole = ImuChunk.concat(chunks)
    np.testing.assert_array_equal(whole.t_s, res.distal.t_s)
    np.testing.assert_array_equal(whole.accel_m_s2, res.distal.accel_m_s2)
    np.testing.assert_array_equal(whole.gyro_rad_s, res.distal.gyro_rad_s)
    assert await drain(src) == []  # a stream, not a file: it does not start over


@pytest.mark.timeout(30)
async def test_realtime_paces_delivery_by_stream_time() -> None:
    res = simulate(SimConfig(reps=1, initial_still_s=0.5, final_still_s=0.5))
    span_s = float(res.distal.t_s[-1] - res.distal.t_s[0])
    speed = span_s / 0.4  # the whole stream should take ~0.4 s of wall time
    src = SimSource(res.distal, res.info, chunk_size=10, realtime=True, speed=speed)
    start = time.monotonic()
    n = sum(len(c) for c in await drain(src))
    elapsed = time.monotonic() - start
    assert n == len(res.distal)
    assert 0.38 <= elapsed < 2.0


@pytest.mark.timeout(30)
async def test_aclose_ends_the_stream() -> None:
    res = simulate(SimConfig(reps=1))
    src = SimSource(res.distal, res.info, chunk_size=5)
    got = []
    async for chunk in src:
        got.append(chunk)
        if len(got) == 3:
            await src.aclose()
    assert len(got) == 3


@pytest.mark.timeout(30)
async def test_sim_sources_gives_distal_and_proximal_with_truth() -> None:
    distal, proximal = sim_sources(SimConfig(reps=2, two_segment=True), realtime=False)
    assert proximal is not None and distal.result is not None
    assert distal.info.sensor_id != proximal.info.sensor_id
    d, p = await asyncio.gather(drain(distal), drain(proximal))
    assert sum(map(len, d)) == len(distal.result.distal)
    assert distal.result.proximal is not None
    assert sum(map(len, p)) == len(distal.result.proximal)
    one, none = sim_sources(SimConfig(reps=1), realtime=False)
    assert none is None and one.info.segment.value == "shank"


def test_bad_arguments_are_refused() -> None:
    res = simulate(SimConfig(reps=1))
    with pytest.raises(ValueError):
        SimSource(res.distal, res.info, chunk_size=0)
    with pytest.raises(ValueError):
        SimSource(res.distal, res.info, speed=0.0)
