"""BLE wearable figures: two virtual wearables at 100 Hz, sustained, in real time.

Run: ``python -m bench.ble [--seconds 60]`` (prints figures; not a test; needs the ``test``
extra for bumble). Targets (issue 6): < 0.1 % of samples lost, host-clock alignment
between the two wearables within 5 ms, and the CPU each wearable costs the kiosk.

The wearables are bumble GATT servers on an in-process link, driven by the unmodified
bleak + bleak-retry-connector client through the bumble backend, so the figures cover ATT,
GATT, our parsers, the time sync and the motion pipeline — not BlueZ or the radio (see
hw/ble/README.md for the hardware check). Alignment is each wearable's device->host
mapping against the true instant (both virtual clocks are known), sampled every second;
CPU is the time spent in the client's notification handlers and in the motion pipeline,
per wearable, against wall time (the whole process, peripherals included, is shown too).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from motion.pipeline import SetAnalyzer
from protocol.clock import MonotonicClock
from sensors.ble.connector import BleakConnector, plain_resolve
from sensors.ble.drivers import RehabImuDriver
from sensors.ble.link import WearableLink
from sensors.ble.ports import Wearable, WearableKind
from sensors.ble.source import BleSource
from sensors.ble.virtual import BumbleBleakBackend, VirtualAir, VirtualRehabImu
from sensors.sim import SimConfig, simulate
from sensors.types import BodySegment
from therapy.session import _pairs

TARGET_LOST_PCT = 0.1
TARGET_ALIGN_MS = 5.0


def _timed(fn: Callable[..., Any], acc: list[float]) -> Callable[..., Any]:
    def wrapper(*args: Any) -> Any:
        t = time.perf_counter()
        try:
            return fn(*args)
        finally:
            acc[0] += time.perf_counter() - t
    return wrapper


async def run(seconds: float) -> dict[str, float]:
    reps = max(2, int(np.ceil(seconds / 7.5)))  # a knee rep with rest takes ~7.5 s
    sim = simulate(SimConfig(exercise_id="knee_extension_seated", reps=reps, two_segment=True,
                             seed=5, drop_prob=0.0))
    assert sim.proximal is not None
    clock = MonotonicClock()
    air = VirtualAir()
    devs = [VirtualRehabImu(air, "F1:00:00:00:00:01", sim.distal, clock, device_id=1,
                            drift_ppm=40.0, boot_s=-50.0),
            VirtualRehabImu(air, "F1:00:00:00:00:02", sim.proximal, clock, device_id=2,
                            drift_ppm=-30.0, boot_s=-900.0)]
    for d in devs:
        await d.start()
    connector = BleakConnector(backend=BumbleBleakBackend, resolve=plain_resolve,
                               bumble_air=air, max_attempts=2)
    cpu = [[0.0], [0.0]]
    sources = []
    drivers = []
    for i, (dev, seg) in enumerate(zip(devs, (BodySegment.SHANK, BodySegment.THIGH))):
        driver = RehabImuDriver(clock)
        driver._on_batch = _timed(driver._on_batch, cpu[i])  # type: ignore[method-assign]
        driver._on_control = _timed(driver._on_control, cpu[i])  # type: ignore[method-assign]
        drivers.append(driver)
        w = Wearable(dev.address, dev.name, WearableKind.REHAB_IMU, seg)
        sources.append(BleSource(WearableLink(w, driver, connector, clock=clock)))
    analyzer = SetAnalyzer(100.0, two_imu=True)
    pipe_s = [0.0]
    align_ms: list[float] = []
    wall0, proc0 = time.perf_counter(), time.process_time()
    # at least ``seconds``, and to the end of the simulated set so every rep can finish
    t_end = clock.now() + max(seconds, float(sim.distal.t_s[-1] - sim.distal.t_s[0]) + 1.0)
    next_check = clock.now() + 5.0
    async for chunk, prox in _pairs(sources[0], sources[1]):
        t = time.perf_counter()
        analyzer.feed(chunk, prox)
        pipe_s[0] += time.perf_counter() - t
        now = clock.now()
        if now >= next_check:
            e = [1e3 * (float(d.mapper.to_host(v.device_us(now))) - now)
                 for d, v in zip(drivers, devs)]
            align_ms.append(abs(e[0] - e[1]))
            next_check = now + 1.0
        if now >= t_end:
            break
    analyzer.finish()
    wall = time.perf_counter() - wall0
    proc = time.process_time() - proc0
    for s in sources:
        await s.aclose()
    for d in devs:
        await d.close()
    sent = [d.notified for d in devs]
    counters = [s.link.counters for s in sources]
    lost = sum(c.lost for c in counters)
    got = sum(c.samples for c in counters)
    return {
        "seconds": wall,
        "samples": got,
        "lost_pct": 100.0 * lost / max(1, got + lost),
        "rate_hz": got / 2 / wall,
        "notifications_sent": float(sum(sent)),
        "align_median_ms": float(np.median(align_ms)) if align_ms else float("nan"),
        "align_max_ms": float(np.max(align_ms)) if align_ms else float("nan"),
        "cpu_client_pct_per_wearable": 100.0 * (sum(c[0] for c in cpu) / 2) / wall,
        "cpu_pipeline_pct_per_wearable": 100.0 * pipe_s[0] / 2 / wall,
        "cpu_process_pct": 100.0 * proc / wall,
        "reps_counted": float(len(analyzer.reps_)),
        "reps_simulated": float(len(sim.truth.reps)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.ble", description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="real-time streaming duration")
    args = ap.parse_args()
    r = asyncio.run(run(args.seconds))
    ok_lost = r["lost_pct"] < TARGET_LOST_PCT
    ok_align = r["align_max_ms"] < TARGET_ALIGN_MS
    print(f"two virtual wearables, {r['seconds']:.1f} s real time, {r['rate_hz']:.1f} Hz each, "
          f"{r['samples']:.0f} samples")
    print(f"samples lost      {r['lost_pct']:.3f} %   (target < {TARGET_LOST_PCT} %)  "
          f"{'OK' if ok_lost else 'MISSED'}")
    print(f"alignment         median {r['align_median_ms']:.2f} ms, max {r['align_max_ms']:.2f} ms"
          f"   (target < {TARGET_ALIGN_MS} ms)  {'OK' if ok_align else 'MISSED'}")
    print(f"CPU per wearable  client {r['cpu_client_pct_per_wearable']:.2f} % of a core "
          f"(+ motion pipeline {r['cpu_pipeline_pct_per_wearable']:.2f} %); whole process "
          f"incl. virtual peripherals and the bumble stack {r['cpu_process_pct']:.1f} %")
    print(f"reps              {r['reps_counted']:.0f} counted, {r['reps_simulated']:.0f} simulated")


if __name__ == "__main__":
    main()
