"""How fast replay parses recordings: an hour of 100 Hz project CSV (360,000 rows).

Run: ``python -m bench.replay_parse`` (prints figures; not a test). The target: parsing must
leave room for fusion so that ``rehab replay`` runs at >= 40 % of a bare imufusion loop, i.e.
the hour must parse in well under 0.15 s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from sensors.replay import load_recording, write_csv
from sensors.replay.formats import CSV_COLUMNS
from sensors.replay.table import parse_table, read_header_body
from sensors.types import STANDARD_GRAVITY_M_S2, ImuChunk


def hour_chunk(rate_hz: float, seconds: float) -> ImuChunk:
    n = int(seconds * rate_hz)
    rng = np.random.default_rng(0)
    t = np.arange(n) / rate_hz
    accel = rng.normal(0.0, 0.5, (n, 3)) + [0.0, 0.0, STANDARD_GRAVITY_M_S2]
    gyro = rng.normal(0.0, 0.8, (n, 3))
    return ImuChunk(t, accel, gyro)


def best_of(repeats: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def fusion_updates_per_s(n: int) -> float | None:
    """A bare imufusion update loop, for the ratio the target is stated in."""
    try:
        import imufusion
    except ImportError:
        return None
    ahrs = imufusion.Ahrs()
    gyro = np.zeros(3)
    accel = np.array([0.0, 0.0, 1.0])
    start = time.perf_counter()
    for _ in range(n):
        ahrs.update_no_magnetometer(gyro, accel)
    return n / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3600.0)
    ap.add_argument("--rate-hz", type=float, default=100.0)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    chunk = hour_chunk(args.rate_hz, args.seconds)
    n = len(chunk)
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "hour.csv"
        gz = Path(tmp) / "hour.csv.gz"
        t_write = best_of(1, lambda: write_csv(csv, chunk))
        write_csv(gz, chunk)
        size_mb = csv.stat().st_size / 1e6
        print(f"{n} rows, {size_mb:.1f} MB csv, {gz.stat().st_size / 1e6:.1f} MB gz")
        print(f"write_csv:            {t_write:.3f} s  ({n / t_write / 1e6:.2f} M rows/s)")

        header, body = read_header_body(csv)
        cols = list(range(len(CSV_COLUMNS)))
        t_parse = best_of(
            args.repeats,
            lambda: parse_table(csv, header, body, ",", CSV_COLUMNS, cols, len(cols)),
        )
        print(f"parse_table (bytes):  {t_parse:.3f} s  ({n / t_parse / 1e6:.2f} M rows/s)")
        t_read = best_of(args.repeats, lambda: read_header_body(csv))
        print(f"read_header_body:     {t_read:.3f} s")
        t_load = best_of(args.repeats, lambda: load_recording(csv))
        print(f"load_recording csv:   {t_load:.3f} s  ({n / t_load / 1e6:.2f} M rows/s)")
        t_gz = best_of(args.repeats, lambda: load_recording(gz))
        print(f"load_recording gz:    {t_gz:.3f} s  ({n / t_gz / 1e6:.2f} M rows/s)")
    rate = fusion_updates_per_s(min(n, 200_000))
    if rate is not None:
        fusion_s = n / rate
        print(f"bare imufusion loop:  {fusion_s:.3f} s for {n} updates ({rate / 1e6:.2f} M/s)")
        print(
            f"parse + fusion alone would run at {fusion_s / (fusion_s + t_load):.0%} of the bare "
            "fusion loop (target for the whole replay: >= 40 %)"
        )


if __name__ == "__main__":
    main()
