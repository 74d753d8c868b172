"""The real recordings changed as another subject, device or day would change them:
``python -m bench.perturb [--seeds N]``.

We have two UCI-PT and three SPAR subjects; the project is judged on others. What differs
from one person or device to the next is, in part, physics we can apply exactly to the
recordings we have, so each change below is a new recording with the same truth (30 reps
a UCI-PT session, 20 ± 1 a SPAR set):

- ``rotated``: the sensor worn turned by a random fixed rotation (accelerometer and gyro
  rotated together: exact). Nothing in the motion core should notice.
- ``50 Hz`` / ``half rate``: resampled to twice the rate (linear interpolation) or to half
  (pairs averaged): another device's rate.
- ``slower`` / ``faster``: the same movement done in 1.25x / 0.8x the time (times
  stretched, gyro divided by the factor; the accelerometer's small dynamic part is left as
  it was): another patient's tempo.
- ``gyro bias``: a constant 0.5°/s on the gyro in a random direction (a MEMS gyro's
  turn-on bias).
- ``noise``: white noise, 0.05 m/s² and 0.3°/s rms per axis, on top of the sensor's own.

Counted as ``bench.accuracy`` counts (the replay path, no ROM prescribed), and for UCI-PT
also as the kiosk runs a set (``bench.accuracy_kiosk``: the session's ROM prescribed, the
median of its reps as recorded; fed 10 samples at a time). A row that differs from ``as
recorded`` names the sessions that moved (``kiosk:`` for the kiosk's path).
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from bench._data import shared_data
from bench.accuracy_kiosk import feed_as_kiosk, prescribed_rom
from bench.datasets import (
    REAL_CHUNK,
    SPAR_REPS,
    SPAR_TOLERANCE,
    UCI_REPS,
    score,
    spar_files,
    uci_recording,
    uci_replay,
    uci_sessions,
    uci_subjects,
)
from motion.run import run_set
from sensors.replay import load_recording
from sensors.replay.labels import uci_lifts
from sensors.types import ImuChunk

Change = Callable[[ImuChunk, float, int], tuple[ImuChunk, float]]


def random_rotation(seed: int) -> np.ndarray:
    """A uniformly random rotation matrix (from a random unit quaternion)."""
    q = np.random.default_rng(seed).normal(size=4)
    w, x, y, z = q / np.linalg.norm(q)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def rotated(c: ImuChunk, rate: float, seed: int) -> tuple[ImuChunk, float]:
    r = random_rotation(seed)
    return ImuChunk(c.t_s.copy(), c.accel_m_s2 @ r.T, c.gyro_rad_s @ r.T), rate


def double_rate(c: ImuChunk, rate: float, seed: int) -> tuple[ImuChunk, float]:
    t = np.arange(c.t_s[0], c.t_s[-1], 0.5 / rate)

    def at(x: np.ndarray) -> np.ndarray:
        return np.stack([np.interp(t, c.t_s, x[:, k]) for k in range(3)], axis=1)

    return ImuChunk(t, at(c.accel_m_s2), at(c.gyro_rad_s)), 2.0 * rate


def half_rate(c: ImuChunk, rate: float, seed: int) -> tuple[ImuChunk, float]:
    n = len(c) // 2 * 2
    return ImuChunk(c.t_s[1:n:2].copy(), (c.accel_m_s2[0:n:2] + c.accel_m_s2[1:n:2]) / 2,
                    (c.gyro_rad_s[0:n:2] + c.gyro_rad_s[1:n:2]) / 2), rate / 2.0


def tempo(factor: float) -> Change:
    def change(c: ImuChunk, rate: float, seed: int) -> tuple[ImuChunk, float]:
        t = c.t_s[0] + (c.t_s - c.t_s[0]) * factor
        return ImuChunk(t, c.accel_m_s2.copy(), c.gyro_rad_s / factor), rate / factor
    return change


def gyro_bias(c: ImuChunk, rate: float, seed: int) -> tuple[ImuChunk, float]:
    b = np.random.default_rng(seed).normal(size=3)
    b *= np.radians(0.5) / np.linalg.norm(b)
    return ImuChunk(c.t_s.copy(), c.accel_m_s2.copy(), c.gyro_rad_s + b), rate


def noise(c: ImuChunk, rate: float, seed: int) -> tuple[ImuChunk, float]:
    rng = np.random.default_rng(seed)
    return ImuChunk(c.t_s.copy(), c.accel_m_s2 + rng.normal(0.0, 0.05, c.accel_m_s2.shape),
                    c.gyro_rad_s + rng.normal(0.0, np.radians(0.3), c.gyro_rad_s.shape)), rate


def as_recorded(c: ImuChunk, rate: float, seed: int) -> tuple[ImuChunk, float]:
    return c, rate


CHANGES: dict[str, Change] = {
    "as recorded": as_recorded, "rotated": rotated, "twice the rate": double_rate,
    "half the rate": half_rate, "slower (x1.25 time)": tempo(1.25),
    "faster (x0.8 time)": tempo(0.8), "gyro bias 0.5°/s": gyro_bias, "noise": noise,
}
SEEDED = ("rotated", "gyro bias 0.5°/s", "noise")  # the others give one recording each


def kiosk_roms(uci_root: Path) -> dict[Path, float | None]:
    """Each UCI-PT session's prescribed ROM on the kiosk's path (as recorded, whatever the
    change: a therapist prescribes before the patient moves)."""
    return {folder: prescribed_rom(uci_replay(folder)[1].reps_)
            for subject in uci_subjects(uci_root) for folder in uci_sessions(uci_root, subject)}


def run_change(name: str, seeds: int, uci_root: Path, spar_root: Path,
               roms: dict[Path, float | None]) -> dict:
    """Counts under one change: {"uci": [...], "kiosk": [...], "spar": [...], "moved":
    [names]}; ``roms``: :func:`kiosk_roms`."""
    change = CHANGES[name]
    uci, kiosk, spar, moved = [], [], [], []
    for seed in range(seeds if name in SEEDED else 1):
        for subject in uci_subjects(uci_root):
            for folder in uci_sessions(uci_root, subject):
                rec = uci_recording(folder)
                chunk, rate = change(rec.chunk, rec.rate_hz, seed)
                lifts = bool(uci_lifts(folder))
                n = len(run_set(chunk, rate, chunk_size=REAL_CHUNK, lifts=lifts).reps_)
                uci.append(n)
                if n != UCI_REPS:
                    moved.append(f"{subject}/{folder.name}: {n}")
                k = feed_as_kiosk(chunk, rate, lifts=lifts, rom=roms[folder])[0]
                kiosk.append(k)
                if k != UCI_REPS:
                    moved.append(f"kiosk: {subject}/{folder.name}: {k}")
        for path in spar_files(spar_root):
            rec = load_recording(path)
            chunk, rate = change(rec.chunk, rec.rate_hz, seed)
            n = len(run_set(chunk, rate, chunk_size=REAL_CHUNK).reps_)
            spar.append(n)
            if abs(n - SPAR_REPS) > SPAR_TOLERANCE:
                moved.append(f"{path.name.removesuffix('.csv.gz')}: {n}")
    return {"uci": uci, "kiosk": kiosk, "spar": spar, "moved": moved}


def table(results: dict[str, dict]) -> Table:
    t = Table(title="The real recordings changed (bench.perturb): counts against truth")
    for col in ("change", "UCI-PT = 30", "UCI-PT miscount", "the kiosk's path = 30",
                "SPAR 20 ± 1", "SPAR miscount", "off (session: count)"):
        t.add_column(col, justify="left" if col.startswith(("change", "off")) else "right")
    for name, r in results.items():
        u = score(r["uci"], UCI_REPS)
        k = score(r["kiosk"], UCI_REPS)
        s = score(r["spar"], SPAR_REPS, SPAR_TOLERANCE)
        t.add_row(name, f"{u['exact']}/{u['sets']}", f"{u['miscount']:.2%}",
                  f"{k['exact']}/{k['sets']}", f"{s['within']}/{s['sets']}",
                  f"{s['miscount']:.2%}",
                  ", ".join(sorted(set(r["moved"]))))
    return t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=3,
                    help="random rotations, biases and noises per recording (default 3)")
    args = ap.parse_args()
    # the loader's notes on SPAR's units are bench.accuracy's to show
    logging.getLogger("sensors.replay").setLevel(logging.ERROR)
    data = shared_data()
    uci_root, spar_root = data / "uci-pt", data / "spar"
    if not uci_subjects(uci_root) or not spar_files(spar_root):
        raise SystemExit(f"bench.perturb needs the UCI-PT and SPAR recordings under {data}")
    t0 = time.monotonic()
    roms = kiosk_roms(uci_root)
    with ProcessPoolExecutor() as pool:
        futures = {n: pool.submit(run_change, n, args.seeds, uci_root, spar_root, roms)
                   for n in CHANGES}
        results = {n: f.result() for n, f in futures.items()}
    console = Console(width=160)
    console.print(table(results))
    console.print(f"{args.seeds} seeds for the seeded changes; {time.monotonic() - t0:.0f} s")


if __name__ == "__main__":
    main()
