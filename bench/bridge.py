"""Serial bridge figures: decoder throughput, and latency from the pty to the pipeline.

Run: ``python -m bench.bridge`` (prints figures; not a test). Targets (issue 5): the
stream decoder handles >= 50,000 frames/s here; the end-to-end latency — from the
emulated firmware writing a batch frame to the pty to that batch's chunk having been fed
to the motion pipeline's SetAnalyzer — reported as median and p99.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from firmware_bridge.emulator import FirmwareEmulator
from firmware_bridge.session import BridgeSession
from firmware_bridge.source import BridgeSource
from motion.pipeline import SetAnalyzer
from protocol.clock import ScaledClock
from protocol.codec import FrameDecoder, encode_frame
from protocol.host import StreamConfig
from protocol.messages import Battery, ImuBatch, Message
from sensors.sim import SimConfig, simulate
from sensors.types import BodySegment, SourceInfo

TARGET_FRAMES_S = 50_000


def stream_of(n_frames: int, batch_len: int) -> bytes:
    rng = np.random.default_rng(0)
    msgs: list[Message] = []
    for i in range(n_frames):
        if i % 50 == 49:
            msgs.append(Battery(3900, 80, 0))
            continue
        counts = rng.normal(0, 2000, (batch_len, 6)).astype(np.int16)
        msgs.append(ImuBatch(i * batch_len, 10_000 * batch_len * i, 10_000, 1000, 8, 0, counts))
    return b"".join(encode_frame(m, i) for i, m in enumerate(msgs))


def decoder_throughput(n_frames: int, batch_len: int, read_size: int = 4096) -> float:
    data = stream_of(n_frames, batch_len)
    best = 0.0
    for _ in range(3):
        dec = FrameDecoder()
        t0 = time.perf_counter()
        got = 0
        for i in range(0, len(data), read_size):
            got += len(dec.feed(data[i : i + read_size]))
        dt = time.perf_counter() - t0
        assert got == n_frames and dec.stats.lost == 0
        best = max(best, n_frames / dt)
    return best


async def latency(seconds: float) -> list[float]:
    res = simulate(SimConfig(reps=30, seed=1, drop_prob=0.0))
    clock = ScaledClock(1.0)
    out: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        link = Path(tmp) / "rehab-bench0"
        with FirmwareEmulator(res.distal, clock=clock, link_path=link) as emu:
            order: list[int] = []
            session = BridgeSession(str(link), clock=clock, config=StreamConfig(batch_len=10),
                                    tap=lambda b, c: order.append(b.sample_seq))
            src = BridgeSource(session, SourceInfo("bench", BodySegment.SHANK, 100.0))
            analyzer = SetAnalyzer(100.0)
            end = time.monotonic() + seconds
            i = 0
            async for chunk in src:
                analyzer.feed(chunk)
                done = time.monotonic()
                out.append(done - emu.write_times[order[i]])
                i += 1
                if done > end:
                    break
            await src.aclose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, default=20.0, help="latency run length (real time)")
    args = ap.parse_args()
    for batch_len in (10, 18):
        fps = decoder_throughput(args.frames, batch_len)
        verdict = "ok" if fps >= TARGET_FRAMES_S else "BELOW TARGET"
        print(f"decoder, {batch_len}-sample batches: {fps:,.0f} frames/s "
              f"({fps * batch_len:,.0f} samples/s; target {TARGET_FRAMES_S:,}) {verdict}")
    lat = asyncio.run(latency(args.seconds))
    ms = sorted(x * 1e3 for x in lat)
    p99 = ms[min(len(ms) - 1, int(round(0.99 * (len(ms) - 1))))]
    print(f"pty -> SetAnalyzer latency over {len(ms)} batches (100 Hz, 10 per batch): "
          f"median {statistics.median(ms):.2f} ms, p99 {p99:.2f} ms, max {ms[-1]:.2f} ms")


if __name__ == "__main__":
    main()
