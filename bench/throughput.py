"""Throughput and latency of the motion core: ``python -m bench.throughput``.

1. ``rehab replay`` on an hour-long CSV (start-up and parsing included, a subprocess
   timed from outside) against a bare imufusion update loop over the same samples, in the
   same run, at 100 Hz and at 200 Hz. Target (issue 11): >= 60 % of the bare loop's rate.
   Each is timed on the wall clock and in CPU seconds (the subprocess's user + system time,
   the loop's thread time): on a machine shared with other work the wall clock swings
   with the load and the CPU ratio is the steadier figure. The bare loop passes float64
   rows, as it always has; the last column is the same loop with float32 rows, the form
   imufusion converts every argument to (``motion.fusion`` passes that form, so the
   fusion part of the replay costs about a third of the reference's per sample).
2. The pipeline alone, fed in chunks of 10 / 32 / 100 samples like live wearables:
   samples per second and CPU per 100 Hz wearable.
3. Rep confirmation delay at 100 Hz on simulated sets: time from the end of the rep (the
   angle back at rest, the simulator's truth) to its confirmation. Target: median <= 0.5 s.

Where the replay's time goes (start-up, parse, pipeline stages): ``python -m
bench.replay_profile``. That the output stays the same: ``python -m bench.replay_digest``.
"""

from __future__ import annotations

import compileall
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import imufusion
import numpy as np
from rich.console import Console
from rich.table import Table

from motion.run import run_set
from sensors.replay import load_recording, write_csv
from sensors.sim import SimConfig, simulate
from therapy.catalogue import CATALOGUE

HOUR_S = 3600.0
REPEATS = 5
TARGET_RATIO = 0.6  # issue 11


def hour_csv(folder: Path, rate_hz: float) -> Path:
    """About an hour of seated knee extensions at ``rate_hz`` (7.5 s per rep)."""
    path = folder / f"hour_{int(rate_hz)}hz.csv"
    res = simulate(SimConfig(exercise_id="knee_extension_seated", reps=int(HOUR_S / 7.5),
                             rate_hz=rate_hz, seed=1))
    write_csv(path, res.distal)
    return path


def best_s(run: Callable[[Any], object], setup: Callable[[], Any] = lambda: None
           ) -> tuple[float, float]:
    """Best of ``REPEATS`` wall times of ``run(setup())`` and best CPU time (this thread's
    plus any child process's user + system time); ``setup`` is not timed."""
    wall = cpu = np.inf
    for _ in range(REPEATS):
        arg = setup()
        c0, t = _cpu_s(), time.perf_counter()
        run(arg)
        wall = min(wall, time.perf_counter() - t)
        cpu = min(cpu, _cpu_s() - c0)
    return wall, cpu


def _cpu_s() -> float:
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.thread_time() + child.ru_utime + child.ru_stime


def bare_loop_s(path: Path, dtype: type = np.float64) -> tuple[tuple[float, float], int]:
    rec = load_recording(path)
    gyro = np.degrees(rec.chunk.gyro_rad_s).astype(dtype)
    accel = (rec.chunk.accel_m_s2 / 9.80665).astype(dtype)

    def loop(ahrs: imufusion.Ahrs) -> None:
        for g, a in zip(gyro, accel):
            ahrs.update_no_magnetometer(g, a)

    return best_s(loop, imufusion.Ahrs), len(rec.chunk)


def startup_s() -> float:
    """Python start-up plus the imports of ``rehab replay`` (what any run pays first)."""
    # as the rehab process imports its command (the GC paused, then frozen: rehab.cli)
    code = "from rehab.cli import build_parser; build_parser(['replay'], freeze_imports=True)"
    return best_s(lambda _: subprocess.run([sys.executable, "-c", code], check=True))[0]


def parse_s(path: Path) -> float:
    return best_s(lambda _: load_recording(path))[0]


def replay_s(path: Path) -> tuple[float, float]:
    rehab = shutil.which("rehab", path=str(Path(sys.executable).parent)) or "rehab"
    return best_s(lambda _: subprocess.run([rehab, "replay", str(path), "--json"], check=True,
                                           stdout=subprocess.DEVNULL))


def chunked_rates() -> list[tuple[int, float]]:
    res = simulate(SimConfig(exercise_id="elbow_flexion", reps=40, rate_hz=100.0, seed=2))
    out = []
    for size in (10, 32, 100):
        t = time.perf_counter()
        run_set(res.distal, 100.0, chunk_size=size)
        out.append((size, len(res.distal) / (time.perf_counter() - t)))
    return out


def confirmation_delays() -> np.ndarray:
    delays = []
    for i, (ex_id, ex) in enumerate(CATALOGUE.items()):
        for seed in range(3):
            res = simulate(SimConfig(exercise_id=ex_id, reps=8, rate_hz=100.0, seed=seed + 10 * i))
            an = run_set(res.distal, 100.0, chunk_size=10, lifts=ex.lifts)
            if len(an.reps_) == len(res.truth.reps):
                delays += [r.t_detected - t.t_end for r, t in zip(an.reps_, res.truth.reps)]
    return np.array(delays)


def compile_bytecode() -> None:
    """Time the command as installed: `make install` compiles bytecode (as pip does for a
    wheel); after editing sources it would be stale and every start-up would recompile."""
    root = Path(__file__).resolve().parents[1]
    for package in ("rehab", "sensors", "motion", "therapy"):
        compileall.compile_dir(root / package, quiet=1)


def main() -> None:
    compile_bytecode()
    console = Console(width=190)
    table = Table(title=f"rehab replay on an hour-long CSV vs a bare imufusion loop (best of "
                  f"{REPEATS}; wall s / CPU s)")
    for col in ("rate", "samples", "bare loop s", "replay s", "of which start-up s", "parse s",
                "replay samples/s", f"ratio wall (target {TARGET_RATIO:.0%})", "ratio CPU",
                "bare loop, float32 rows s"):
        table.add_column(col, justify="right")
    with tempfile.TemporaryDirectory() as tmp:
        for rate in (100.0, 200.0):
            path = hour_csv(Path(tmp), rate)
            (bare, bare_cpu), n = bare_loop_s(path)
            rep, rep_cpu = replay_s(path)
            (bare32, bare32_cpu), _ = bare_loop_s(path, np.float32)
            table.add_row(f"{rate:g} Hz", f"{n:,}", f"{bare:.3f} / {bare_cpu:.3f}",
                          f"{rep:.3f} / {rep_cpu:.3f}", f"{startup_s():.3f}",
                          f"{parse_s(path):.3f}", f"{n / rep:,.0f}", f"{bare / rep:.0%}",
                          f"{bare_cpu / rep_cpu:.0%}", f"{bare32:.3f} / {bare32_cpu:.3f}")
    console.print(table)
    live = Table(title="Pipeline alone, fed like a live wearable (100 Hz)")
    for col in ("chunk", "samples/s", "CPU per 100 Hz wearable"):
        live.add_column(col, justify="right")
    for size, rate in chunked_rates():
        live.add_row(str(size), f"{rate:,.0f}", f"{100.0 / rate:.2%}")
    console.print(live)
    d = confirmation_delays()
    console.print(f"rep confirmation after the rep's end at 100 Hz: median {np.median(d):.2f} s, "
                  f"p90 {np.percentile(d, 90):.2f} s, max {d.max():.2f} s over {d.size} reps "
                  f"(target: median <= 0.5 s)")


if __name__ == "__main__":
    main()
