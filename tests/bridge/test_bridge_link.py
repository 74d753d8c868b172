"""End to end over a real pseudo-terminal: emulated firmware -> pyserial -> decoder -> motion.

The emulator and the host share a ScaledClock so a 80-second set streams in ~4 s; the
unplug test runs in real time because the 2 s outage is the point of it.
"""

from __future__ import annotations

import asyncio
import os
import pty
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from firmware_bridge.emulator import Faults, FirmwareEmulator
from firmware_bridge.serial_link import SerialLink
from firmware_bridge.session import BridgeSession
from firmware_bridge.source import BridgeSource
from motion.pipeline import SetAnalyzer
from protocol.clock import ScaledClock
from protocol.host import StreamConfig
from protocol.messages import ImuBatch
from sensors.sim import SimConfig, SimResult, simulate
from sensors.source import SampleSource
from sensors.types import BodySegment, ImuChunk, SourceInfo

SPEED = 20.0


@pytest.fixture(scope="module")
def knee_set() -> SimResult:
    return simulate(SimConfig(exercise_id="knee_extension_seated", reps=10, rate_hz=100.0,
                              seed=0, drop_prob=0.0))


async def _collect(src: BridgeSource, n_samples: int, timeout_s: float) -> list[ImuChunk]:
    chunks: list[ImuChunk] = []
    got = 0

    async def loop() -> None:
        nonlocal got
        async for chunk in src:
            chunks.append(chunk)
            got += len(chunk)
            if got >= n_samples:
                return

    try:
        await asyncio.wait_for(loop(), timeout_s)
    finally:
        await src.aclose()
    return chunks


def _info() -> SourceInfo:
    return SourceInfo("serial:emu", BodySegment.SHANK, 100.0, "emulated XIAO")


@pytest.mark.timeout(60)
async def test_emulated_set_reaches_the_rep_counter(knee_set: SimResult, tmp_path: Path) -> None:
    clock = ScaledClock(SPEED)
    with FirmwareEmulator(knee_set.distal, clock=clock, link_path=tmp_path / "rehab-imu0") as emu:
        session = BridgeSession(emu.port, clock=clock)
        src = BridgeSource(session, _info())
        assert isinstance(src, SampleSource)
        chunks = await _collect(src, len(knee_set.distal), timeout_s=40)
    analyzer = SetAnalyzer(100.0)
    for chunk in chunks:  # the chunks exactly as the source delivered them
        analyzer.feed(chunk)
    analyzer.finish()
    t = np.concatenate([c.t_s for c in chunks])
    assert np.all(np.diff(t) > 0)
    assert np.median(np.diff(t)) == pytest.approx(0.01, rel=0.02)  # host clock, seconds
    assert len(analyzer.reps_) == len(knee_set.truth.reps) == 10
    st = session.stats
    assert (st.connects, st.reconnects, st.decoder.crc_errors) == (1, 0, 0)
    # a gap only where the host read too late at 20x and the emulator's TX buffer overflowed
    # (as the firmware's does): a starved reader on a loaded machine, never the link
    assert st.sample_gaps <= emu.tx_overflows, (st.sample_gaps, emu.tx_overflows)
    assert st.battery_mv == 3900 and abs(st.drift_ppm) < 500


@pytest.mark.timeout(60)
async def test_garbage_crc_errors_truncation_and_drops_cost_only_the_spoilt_frames(
    knee_set: SimResult, tmp_path: Path
) -> None:
    clock = ScaledClock(SPEED)
    faults = Faults(noise_prob=0.2, crc_prob=0.05, drop_prob=0.05, truncate_prob=0.05, seed=3)
    with FirmwareEmulator(knee_set.distal, clock=clock, link_path=tmp_path / "rehab-imu0",
                          faults=faults) as emu:
        seen: list[int] = []
        session = BridgeSession(emu.port, clock=clock, tap=lambda b, c: seen.append(b.sample_seq))
        chunks = await _collect(BridgeSource(session, _info()), 3000, timeout_s=40)
    st = session.stats
    dec = st.decoder
    assert dec.crc_errors + dec.framing_errors > 0 and dec.lost > 0
    assert st.connects == 1 and st.reconnects == 0  # the session went on
    # Every batch not spoilt by the emulator arrived: resync within one frame.
    last = max(seen)
    spoilt = {k for k in emu.spoilt_batches if k <= last}
    assert spoilt, "the fault injection should have spoilt some batches"
    assert seen == sorted(set(range(0, last + 1, 10)) - spoilt)
    assert sum(len(c) for c in chunks) == len(seen) * 10
    assert st.samples_lost == 10 * len(spoilt)
    assert st.sample_gaps >= 1


@pytest.mark.timeout(60)
async def test_a_batch_sent_twice_reaches_the_pipeline_once(
    knee_set: SimResult, tmp_path: Path
) -> None:
    """Serial kept its own sample count (BLE had the tracker) and handed a re-sent batch on
    a second time; over the one host machine it is dropped and counted, as over BLE."""
    clock = ScaledClock(SPEED)
    faults = Faults(repeat_prob=0.2, seed=5)
    with FirmwareEmulator(knee_set.distal, clock=clock, link_path=tmp_path / "rehab-imu0",
                          faults=faults) as emu:
        seen: list[int] = []
        session = BridgeSession(emu.port, clock=clock, tap=lambda b, c: seen.append(b.sample_seq))
        chunks = await _collect(BridgeSource(session, _info()), 1000, timeout_s=40)
    c = session.host.counters
    assert emu.batches_repeated >= 5 and 1 <= c.duplicates <= emu.batches_repeated
    assert seen == list(range(0, 10 * len(seen), 10))  # every batch once, in order
    assert sum(len(ch) for ch in chunks) == c.samples == 10 * len(seen)
    assert (c.gaps, c.lost, session.stats.decoder.duplicates) == (0, 0, 0)


@pytest.mark.timeout(60)
async def test_two_second_unplug_and_replug(knee_set: SimResult, tmp_path: Path) -> None:
    clock = ScaledClock(1.0)  # real time: the outage is 2 real seconds
    link = tmp_path / "rehab-imu0"
    faults = Faults(unplug_at_s=1.0, unplug_s=2.0)
    with FirmwareEmulator(knee_set.distal, clock=clock, link_path=link, faults=faults) as emu:
        session = BridgeSession(emu.port, clock=clock)
        # 1 s before, 2 s unplugged (samples lost), then 1 s after the replug.
        chunks = await _collect(BridgeSource(session, _info()), 200, timeout_s=20)
        assert emu.unplugged.is_set() and emu.replugged.is_set()
    st = session.stats
    assert st.connects == 2 and st.reconnects == 1
    assert len(st.outages_s) == 1 and 2.0 <= st.outages_s[0] < 3.5
    t = np.concatenate([c.t_s for c in chunks])
    assert np.all(np.diff(t) > 0)
    analyzer = SetAnalyzer(100.0)
    for chunk in chunks:
        analyzer.feed(chunk)
    assert analyzer.gaps_ == 1 and analyzer.gap_s_ >= 2.0  # the pipeline saw the outage


def test_pty_without_modem_lines_opens_and_moves_bytes() -> None:
    master, slave = pty.openpty()
    try:
        link = SerialLink.open(os.ttyname(slave))  # DTR on a pty: ENOTTY, tolerated
        os.write(master, b"\x00abc\x00")
        got = b""
        deadline = time.monotonic() + 2
        while len(got) < 5 and time.monotonic() < deadline:
            got += link.read()
        link.write(b"xyz")
        assert got == b"\x00abc\x00" and os.read(master, 3) == b"xyz"
        link.close()
    finally:
        os.close(master)
        os.close(slave)


def test_device_refusing_start_is_retried_without_escaping(
    knee_set: SimResult, tmp_path: Path
) -> None:
    clock = ScaledClock(SPEED)
    with FirmwareEmulator(knee_set.distal, clock=clock, link_path=tmp_path / "imu") as emu:
        session = BridgeSession(emu.port, clock=clock, config=StreamConfig(rate_hz=50))
        stop = threading.Event()
        th = threading.Thread(target=session.run, args=(lambda c: None, stop))
        th.start()
        time.sleep(0.8)
        stop.set()
        th.join(5)
    assert not th.is_alive()
    assert session.stats.connects == 0 and session.stats.reconnects >= 1
    assert "UNSUPPORTED_RATE" in session.stats.last_error


@pytest.mark.timeout(60)
async def test_two_drifting_devices_line_up_within_5_ms(
    knee_set: SimResult, tmp_path: Path
) -> None:
    """Two emulated boards, crystals off by +80 and -60 ppm, booted at different times."""
    clock = ScaledClock(5.0)
    errors: list[list[float]] = [[], []]
    emus = [
        FirmwareEmulator(knee_set.distal, clock=clock, link_path=tmp_path / "imu-a",
                         drift_ppm=80.0, device_id=1),
        FirmwareEmulator(knee_set.distal, clock=clock, link_path=tmp_path / "imu-b",
                         drift_ppm=-60.0, device_id=2),
    ]
    emus[0].start()
    time.sleep(0.3)  # a different boot instant: a different device clock offset
    emus[1].start()
    try:
        sources = []
        for i, emu in enumerate(emus):
            def tap(b: ImuBatch, c: ImuChunk, i: int = i, emu: FirmwareEmulator = emu) -> None:
                errors[i].append(float(c.t_s[0]) - emu.true_first_s[b.sample_seq])

            sources.append(BridgeSource(BridgeSession(emu.port, clock=clock, tap=tap), _info()))
        await asyncio.gather(*(_collect(s, 2000, timeout_s=30) for s in sources))  # 20 s each
    finally:
        for emu in emus:
            emu.stop()
    for err in errors:
        assert len(err) >= 190
        # within 2.5 ms of the true instant each, so within 5 ms of each other
        assert max(abs(e) for e in err) < 0.0025, max(abs(e) for e in err)
