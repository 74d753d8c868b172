"""Accuracy of the motion core: ``python -m bench.accuracy [--quick]``.

Simulator: every catalogue exercise at 25, 50, 100 and 200 Hz, three noise levels, one IMU
and two IMUs (>= 200 sessions): exact count, ROM RMSE against the simulator's truth.
Real: the UCI-PT recordings in ../shared/data (every subject found there), causal replay
of the unit that rotates most: reps per session and execution type against the labels.
Targets (issue 2): count exact in >= 99 % of simulated sessions; ROM RMSE <= 0.5 deg (one
IMU), <= 1.5 deg (two IMUs); UCI-PT 30 reps per session, type right for >= 90 %.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from rich.console import Console
from rich.table import Table

from bench._data import shared_data
from motion.evaluate import Label, type_accuracy
from motion.run import run_set
from sensors.replay.labels import load_uci_labels, uci_lifts
from sensors.replay.select import most_rotating, session_units
from sensors.sim import SimConfig, simulate
from therapy.catalogue import CATALOGUE

RATES = (25.0, 50.0, 100.0, 200.0)
NOISE = {
    "low": dict(gyro_noise_rad_s=0.002, gyro_bias_rad_s=0.013, accel_noise_m_s2=0.015,
                accel_bias_m_s2=0.025, drop_prob=0.0),
    "typical": {},
    "high": dict(gyro_noise_rad_s=0.008, gyro_bias_rad_s=0.05, accel_noise_m_s2=0.06,
                 accel_bias_m_s2=0.1, drop_prob=0.01, gyro_bias_drift_rad_s_sqrt_s=0.001),
}


def simulated(seeds: int, reps: int) -> tuple[Table, dict]:
    rows: dict[tuple[str, bool], dict] = {}
    for two in (False, True):
        for ex_id, ex in CATALOGUE.items():
            for rate in RATES:
                for level, kw in NOISE.items():
                    for seed in range(seeds):
                        cfg = SimConfig(exercise_id=ex_id, reps=reps, rate_hz=rate,
                                        seed=1000 * seed + int(rate), two_segment=two, **kw)
                        res = simulate(cfg)
                        an = run_set(res.distal, rate, proximal=res.proximal, lifts=ex.lifts)
                        r = rows.setdefault((ex_id, two), {"n": 0, "exact": 0, "err": []})
                        r["n"] += 1
                        if len(an.reps_) == len(res.truth.reps):
                            r["exact"] += 1
                            r["err"] += [a.rom_deg - t.rom_deg
                                         for a, t in zip(an.reps_, res.truth.reps)]
    table = Table(title="Simulator: count and ROM against truth")
    for col in ("exercise", "IMUs", "sessions", "count exact", "ROM RMSE °", "ROM bias °"):
        table.add_column(col, justify="left" if col == "exercise" else "right")
    totals = {}
    for two in (False, True):
        n = exact = 0
        errs: list[float] = []
        for ex_id in CATALOGUE:
            r = rows[(ex_id, two)]
            n, exact, errs = n + r["n"], exact + r["exact"], errs + r["err"]
            e = np.array(r["err"])
            table.add_row(ex_id, "2" if two else "1", str(r["n"]), f"{r['exact'] / r['n']:.1%}",
                          f"{np.sqrt(np.mean(e**2)):.2f}", f"{e.mean():+.2f}")
        e = np.array(errs)
        totals[two] = (n, exact / n, float(np.sqrt(np.mean(e**2))))
        table.add_row("[b]all[/b]", "2" if two else "1", str(n), f"{exact / n:.1%}",
                      f"[b]{totals[two][2]:.2f}[/b]", f"{e.mean():+.2f}")
    return table, totals


def real() -> tuple[Table, dict]:
    root = shared_data() / "uci-pt"
    table = Table(title=f"UCI-PT ({root}): causal replay of the unit that rotates most")
    for col in ("session", "unit", "reps", "labels", "type right"):
        table.add_column(col, justify="right")
    n_sessions = n_thirty = right = total = 0
    for subject in sorted(p for p in root.glob("s*") if p.is_dir()):
        for ex in sorted((p for p in subject.glob("e*") if p.is_dir()),
                         key=lambda p: int(p.name[1:])):
            units = session_units(ex)
            if not units:
                continue
            rec = most_rotating(units)
            labels = [Label(*x) for x in load_uci_labels(ex / "test_times.csv")]
            an = run_set(rec.chunk, rec.rate_hz, chunk_size=8, lifts=bool(uci_lifts(ex)))
            ok, n = type_accuracy(labels, an.reps_, float(rec.chunk.t_s[0]))
            n_sessions += 1
            n_thirty += len(an.reps_) == len(labels)
            right, total = right + ok, total + n
            table.add_row(f"{subject.name}/{ex.name}", rec.path.parent.name,
                          str(len(an.reps_)), str(len(labels)), f"{ok}/{n}")
    if total == 0:
        raise SystemExit(f"no UCI-PT sessions under {root}: see README 'Data'")
    table.add_row("[b]all[/b]", "", f"{n_thirty}/{n_sessions} exact", "",
                  f"[b]{right / total:.1%}[/b] ({right}/{total})")
    return table, {"sessions": n_sessions, "exact": n_thirty, "type_accuracy": right / total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed, 4 reps (smoke run)")
    args = parser.parse_args()
    console = Console()
    t0 = time.perf_counter()
    table, totals = simulated(seeds=1 if args.quick else 2, reps=4 if args.quick else 8)
    console.print(table)
    table_r, real_totals = real()
    console.print(table_r)
    n1, c1, r1 = totals[False]
    n2, c2, r2 = totals[True]
    console.print(
        f"sim: {n1 + n2} sessions; count exact {c1:.1%} (1 IMU) / {c2:.1%} (2 IMUs), target 99 %; "
        f"ROM RMSE {r1:.2f}° (target 0.5) / {r2:.2f}° (target 1.5)\n"
        f"UCI-PT: {real_totals['exact']}/{real_totals['sessions']} sessions with every rep; "
        f"execution type {real_totals['type_accuracy']:.1%} (target 90 %)\n"
        f"({time.perf_counter() - t0:.0f} s)"
    )


if __name__ == "__main__":
    main()
