"""Where ``rehab replay`` of an hour-long CSV spends its time: ``python -m bench.replay_profile``.

Prints CPU seconds per stage (best of ``--repeats`` runs; CPU time, not the wall clock, so
the split holds on a machine shared with other work): the start-up (Python and the
imports of ``rehab replay``, a subprocess), loading (read, parse, checks), and the
pipeline's stages at ``rehab replay``'s step size. Stages are timed by wrapping their
methods, which adds a little to each; the pipeline total is timed unwrapped too. Best of
several runs in one process: one ``rehab replay`` also pays first-touch costs (fresh
memory for the parsed table and the first piece's buffers, ~5,000 page faults for the
100 Hz hour; reading the file whole faulted in ~16,000 before it was read in pieces).
"""

from __future__ import annotations

import argparse
import collections
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import rehab.commands.replay  # first: it sets numpy's BLAS threads as the command does
import motion.angle
import motion.bias
import motion.despike
import motion.fusion
import motion.period
import motion.pipeline
import motion.reps
import sensors.replay.fastparse
import sensors.replay.formats
import sensors.replay.table
from bench.throughput import hour_csv
from motion.params import SetParams
from motion.run import run_set
from sensors.replay import load_recording

# (owner, attribute, label); indented labels are part of the one above.
PIPELINE_STAGES = [
    (motion.pipeline.SetAnalyzer, "_clean", "drop bad samples"),
    (motion.pipeline.SetAnalyzer, "_merge", "merge to 25 Hz"),
    (motion.pipeline._Imu, "up", "bias + fusion (+ tilt observer)"),
    (motion.bias.GyroBiasEstimator, "process", "  still-period bias"),
    (motion.fusion.OrientationTracker, "update", "  imufusion loop"),
    (motion.period.PeriodEstimator, "add", "period estimate"),
    (motion.angle.SegmentAngle, "process", "exercise angle"),
    (motion.despike.CausalMedian, "process", "despike"),
    (motion.reps.RepDetector, "process", "rep detector"),
    (motion.reps, "measure_rep", "  rep measurements"),
    (motion.pipeline.SetAnalyzer, "_emit", "quality + emit"),
]
LOAD_STAGES = [
    (sensors.replay.table, "read_fixed_table", "read + parse (in pieces)"),
    (sensors.replay.fastparse.FixedRows, "add", "  parse"),
    (sensors.replay.formats, "check_imu_units", "unit checks"),
]


def _cpu() -> float:
    return time.process_time()


@contextmanager
def timed(stages: list[tuple[Any, str, str]], acc: collections.Counter) -> Iterator[None]:
    """Wrap each stage so its CPU time adds up in ``acc[label]``; undone on exit."""
    saved = []
    for owner, name, label in stages:
        f = getattr(owner, name)
        saved.append((owner, name, f))
        setattr(owner, name, _wrap(f, label, acc))
    try:
        yield
    finally:
        for owner, name, f in reversed(saved):
            setattr(owner, name, f)


def _wrap(f: Callable[..., Any], label: str, acc: collections.Counter) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t = _cpu()
        try:
            return f(*args, **kwargs)
        finally:
            acc[label] += _cpu() - t

    return wrapper


def best(repeats: int, run: Callable[[collections.Counter], object],
         stages: list[tuple[Any, str, str]]) -> tuple[float, dict[str, float]]:
    """Best total CPU of ``run`` unwrapped, and the per-stage CPU of the best wrapped run."""
    total = min(_once(run, collections.Counter()) for _ in range(repeats))
    split: dict[str, float] = {}
    best_wrapped = float("inf")
    for _ in range(repeats):
        acc: collections.Counter = collections.Counter()
        with timed(stages, acc):
            t = _once(run, acc)
        if t < best_wrapped:
            best_wrapped, split = t, dict(acc)
    return total, split


def _once(run: Callable[[collections.Counter], object], acc: collections.Counter) -> float:
    t = _cpu()
    run(acc)
    return _cpu() - t


def startup_cpu_s(repeats: int) -> float:
    # as the rehab process imports its command (the GC paused, then frozen: rehab.cli)
    code = "from rehab.cli import build_parser; build_parser(['replay'], freeze_imports=True)"
    out = float("inf")
    for _ in range(repeats):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-c", code], check=True)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = min(out, r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    return out


def profile(path: Path, repeats: int) -> list[tuple[str, float]]:
    rows = [("start-up (python + imports)", startup_cpu_s(repeats))]
    load_total, load_split = best(repeats, lambda _: load_recording(path), LOAD_STAGES)
    rows.append(("load_recording", load_total))
    rows += [("  " + label, load_split.get(label, 0.0)) for _, _, label in LOAD_STAGES]
    rec = load_recording(path)

    def pipeline(acc: collections.Counter) -> None:
        run_set(rec.chunk, rec.rate_hz, chunk_size=rehab.commands.replay.REPLAY_CHUNK,
                params=SetParams())

    total, split = best(repeats, pipeline, PIPELINE_STAGES)
    rows.append((f"pipeline (steps of {rehab.commands.replay.REPLAY_CHUNK})", total))
    rows += [("  " + label, split.get(label, 0.0)) for _, _, label in PIPELINE_STAGES]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate-hz", type=float, nargs="*", default=[100.0, 200.0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for rate in args.rate_hz:
            path = hour_csv(Path(tmp), rate)
            print(f"rehab replay of an hour at {rate:g} Hz, CPU s (best of {args.repeats}):")
            for label, seconds in profile(path, args.repeats):
                print(f"  {label:40s} {seconds:6.3f}")


if __name__ == "__main__":
    main()
