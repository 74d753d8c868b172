"""Accuracy of the motion core: ``python -m bench.accuracy [--quick]``.

Simulator: every catalogue exercise at 25, 50, 100 and 200 Hz, three noise levels, one IMU
and two IMUs, strapped mounting: exact count, ROM RMSE against the simulator's truth; and
random mounting (:mod:`bench.mounting`).
Real (../shared/data, every subject found there; bench/datasets.py does the scoring):
UCI-PT reps per session against 30 and execution type against the labels (self-calibrated
and with the protocol's 5 s hold prescribed); SPAR reps per set against 20 (within ±1).
Rest (synthetic): standing sway, a fidgeting rest, and a fidgeting rest before a set.
Fed as the kiosk runs a set (ROM prescribed, :mod:`bench.accuracy_kiosk`): the first rep's
delay, UCI-PT counts, and the two fidgeting rests.
Leave-one-subject-out: the per-subject figures side by side.
Ends with a summary of every figure against the issue's targets (issue 11).
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from bench import protocol_variants
from bench._data import REPO_ROOT, shared_data
from bench.accuracy_kiosk import kiosk_rows
from bench.datasets import (
    SPAR_REPS,
    SPAR_TOLERANCE,
    UCI_REPS,
    delay_figures,
    spar_counts,
    spar_subjects,
    uci_counts,
    uci_subjects,
    uci_types,
)
from bench.mounting import random_mounting
from motion.run import run_set
from sensors.sim import SimConfig, simulate
from sensors.sim.fidget import fidgeting_rest, rest_then_set
from sensors.sim.rest import standing_sway
from therapy.catalogue import CATALOGUE

RATES = (25.0, 50.0, 100.0, 200.0)
NOISE = {
    "low": dict(gyro_noise_rad_s=0.002, gyro_bias_rad_s=0.013, accel_noise_m_s2=0.015,
                accel_bias_m_s2=0.025, drop_prob=0.0),
    "typical": {},
    "high": dict(gyro_noise_rad_s=0.008, gyro_bias_rad_s=0.05, accel_noise_m_s2=0.06,
                 accel_bias_m_s2=0.1, drop_prob=0.01, gyro_bias_drift_rad_s_sqrt_s=0.001),
}
PROTOCOL_HOLD_S = 5.0  # UCI-PT: "hold 5 s" in every exercise

# Issue 11's targets (issue 2's for the strapped simulator).
TARGET_UCI_EXACT = 23 / 24  # sessions with exactly 30 reps (3 held-out people x 8)
TARGET_UCI_MISCOUNT = 0.01
TARGET_SPAR_WITHIN = 0.90  # sets within ±1 of 20
TARGET_SPAR_MISCOUNT = 0.03
TARGET_RMSE_DEG = {1: 0.5, 2: 1.5}  # ROM RMSE, one IMU / two IMUs
TARGET_SIM_EXACT = 0.99  # strapped simulator (issue 2); random mounting: every count exact
TARGET_TYPES = 0.90  # execution type right on UCI s1 labels
# The simulator table stays on the catalogue's first eight exercises, the ones its targets
# and run time were set on; every catalogue exercise is counted by
# tests/exercises/test_exercise_replay.py (issue 15).
SIM_EXERCISES = ("knee_extension_seated", "heel_slide", "straight_leg_raise",
                 "hip_abduction_side_lying", "elbow_flexion", "shoulder_flexion_standing",
                 "shoulder_abduction_standing", "trunk_flexion_seated")


def _sim_rows(two: bool, seeds: int, reps: int, mounting: str = "auto") -> dict[str, dict]:
    """Per exercise: sessions ``n``, exact counts, ROM errors of the exact ones."""
    rows: dict[str, dict] = {}
    for ex_id in SIM_EXERCISES:
        ex = CATALOGUE[ex_id]
        r = rows.setdefault(ex_id, {"n": 0, "exact": 0, "err": []})
        for rate in RATES:
            for kw in NOISE.values():
                for seed in range(seeds):
                    cfg = SimConfig(exercise_id=ex_id, reps=reps, rate_hz=rate,
                                    seed=1000 * seed + int(rate), two_segment=two,
                                    mounting=mounting, **kw)
                    res = simulate(cfg)
                    an = run_set(res.distal, rate, proximal=res.proximal, lifts=ex.lifts)
                    r["n"] += 1
                    if len(an.reps_) == len(res.truth.reps):
                        r["exact"] += 1
                        r["err"] += [a.rom_deg - t.rom_deg
                                     for a, t in zip(an.reps_, res.truth.reps)]
    return rows


def simulated(seeds: int, reps: int) -> tuple[Table, dict]:
    """The strapped-mounting table and ``{imus: (sessions, exact fraction, rmse_deg)}``."""
    return sim_table({two: _sim_rows(two, seeds, reps) for two in (False, True)})


def sim_table(per_two: dict[bool, dict[str, dict]]) -> tuple[Table, dict]:
    table = Table(title="Simulator, strapped mounting: count and ROM against truth")
    for col in ("exercise", "IMUs", "sessions", "count exact", "ROM RMSE °", "ROM bias °"):
        table.add_column(col, justify="left" if col == "exercise" else "right")
    totals = {}
    for two, rows in per_two.items():
        imus = 2 if two else 1
        n = exact = 0
        errs: list[float] = []
        for ex_id, r in rows.items():
            n, exact, errs = n + r["n"], exact + r["exact"], errs + r["err"]
            e = np.array(r["err"] or [np.nan])
            table.add_row(ex_id, str(imus), str(r["n"]), f"{r['exact'] / r['n']:.1%}",
                          f"{np.sqrt(np.mean(e**2)):.2f}", f"{e.mean():+.2f}")
        e = np.array(errs or [np.nan])
        totals[imus] = (n, exact / n, float(np.sqrt(np.mean(e**2))))
        table.add_row("[b]all[/b]", str(imus), str(n), f"{exact / n:.1%}",
                      f"[b]{totals[imus][2]:.2f}[/b]", f"{e.mean():+.2f}")
    return table, totals


def mounting_table(result: dict) -> Table:
    table = Table(title="Simulator, random mounting: count and ROM against truth")
    for col in ("IMUs", "sessions", "count exact", "ROM RMSE °"):
        table.add_column(col, justify="right")
    for imus in (1, 2):
        r = result[imus]
        table.add_row(str(imus), str(r["sessions"]), f"{r['exact']:.1%}", f"{r['rmse_deg']:.2f}")
    return table


REST_AMPS_DEG = (2.0, 3.0, 5.0)
REST_SEEDS = 8
FIDGET_SEEDS = 16
SET_REPS = 10
# A set after a fidgeting rest: the arm and leg exercises a wrist or ankle band would do.
SET_EXERCISES = ("shoulder_abduction_standing", "elbow_flexion", "shoulder_flexion_standing",
                 "knee_extension_seated")


def rest_counts() -> dict[str, tuple[list[int], int]]:
    """Synthetic rests (the barbell rest recordings of the held-out check are not here):
    ``{row: (reps counted per seed, reps expected)}``. A minute of standing sway at each
    amplitude (the original rows), a minute of fidgeting rest (sway, weight shifts, arm
    lifts, scratches: :mod:`sensors.sim.fidget`) and a fidgeting rest of 10-40 s followed
    by a set of ``SET_REPS`` (random mounting)."""
    rows: dict[str, tuple[list[int], int]] = {
        f"a minute of standing sway ±{amp:g}°":
            ([len(run_set(standing_sway(seed, amp), 50.0).reps_) for seed in range(REST_SEEDS)],
             0) for amp in REST_AMPS_DEG}
    rows["a minute of fidgeting rest"] = (
        [len(run_set(fidgeting_rest(seed), 50.0).reps_) for seed in range(FIDGET_SEEDS)], 0)
    rows[f"fidgeting rest, then a set of {SET_REPS}"] = (
        [len(run_set(rest_then_set(seed, SET_EXERCISES[seed % len(SET_EXERCISES)], SET_REPS),
                     50.0).reps_) for seed in range(FIDGET_SEEDS)], SET_REPS)
    return rows


def _pct(score: dict, key: str = "exact") -> str:
    return f"{score[key]}/{score['sets']}"


def _cell(count: int | None, expected: int, tolerance: int = 0) -> str:
    if count is None:
        return "[red]refused[/red]"
    if count == expected:
        return str(count)
    colour = "yellow" if abs(count - expected) <= tolerance else "red"
    return f"[{colour}]{count}[/{colour}]"


def uci_table(root: Path, counts: dict) -> Table:
    exercises = sorted({e for s in counts["subjects"].values() for e in s["sessions"]},
                       key=lambda e: int(e[1:]))
    table = Table(title=f"UCI-PT ({root}): reps per session (of {UCI_REPS}), unit that "
                  "rotates most, causal replay")
    for col in ("subject", *exercises, "sessions exact", "miscount"):
        table.add_column(col, justify="right")
    for subject, s in counts["subjects"].items():
        cells = [_cell(s["sessions"][e]["count"], UCI_REPS) if e in s["sessions"] else "-"
                 for e in exercises]
        table.add_row(subject, *cells, _pct(s), f"{s['miscount']:.2%}")
    t = counts["total"]
    table.add_row("[b]all[/b]", *[""] * len(exercises), f"[b]{_pct(t)}[/b]",
                  f"[b]{t['miscount']:.2%}[/b]")
    return table


def types_table(by_hold: dict[str, dict]) -> Table:
    table = Table(title="UCI-PT execution type (correct / fast / low amplitude) against labels")
    exercises = sorted({e for r in by_hold.values() for s in r["subjects"].values()
                        for e in s["sessions"]}, key=lambda e: int(e[1:]))
    for col in ("subject", "hold", *exercises, "right"):
        table.add_column(col, justify="right")
    for hold, r in by_hold.items():
        for subject, s in r["subjects"].items():
            cells = ["{}/{}".format(*s["sessions"][e]) if e in s["sessions"] else "-"
                     for e in exercises]
            table.add_row(subject, hold, *cells, f"[b]{s['accuracy']:.1%}[/b] "
                          f"({s['right']}/{s['total']})")
    return table


def spar_table(root: Path, spar: dict) -> Table:
    table = Table(title=f"SPAR ({root}): reps per set (of {SPAR_REPS}, ±{SPAR_TOLERANCE} "
                  "passes), pipeline defaults")
    for col in ("group", "sets", f"within ±{SPAR_TOLERANCE}", "exact", "refused",
                "miscount", "counts by file"):
        table.add_column(col, justify="left" if col in ("group", "counts by file") else "right")

    def row(name: str, sc: dict, sets: list[dict], bold: bool = False) -> None:
        b = "[b]{}[/b]" if bold else "{}"
        counts = " ".join(_cell(s["count"], SPAR_REPS, SPAR_TOLERANCE) for s in sets)
        table.add_row(b.format(name), str(sc["sets"]), b.format(_pct(sc, "within")),
                      _pct(sc), str(sc["refused"]), b.format(f"{sc['miscount']:.1%}"), counts)

    for ex, sc in spar["exercises"].items():
        row(ex, sc, [s for s in spar["sets"] if s["exercise"] == ex])
    for subject, sc in spar["subjects"].items():
        row(subject, sc, [s for s in spar["sets"] if s["subject"] == subject])
    row("all", spar["total"], [], bold=True)
    return table


def loso_table(uci: dict, spar: dict) -> Table:
    """Each subject as the held-out one. The motion core learns no parameter from data, so
    nothing is fitted on the others: a subject's own scores, already computed, are its
    held-out figures (a learned parameter would be fitted on the others here)."""
    table = Table(title="Leave one subject out: each subject scored as a held-out subject")
    for col in ("data set", "held out", "trained on", "exact", "within ±1", "miscount"):
        table.add_column(col, justify="left" if col == "data set" else "right")
    for name, per_subject in (("UCI-PT", uci["subjects"]), ("SPAR", spar["subjects"])):
        for test, sc in per_subject.items():
            train = [s for s in per_subject if s != test]
            table.add_row(name, test, ",".join(train) or "-", _pct(sc), _pct(sc, "within"),
                          f"{sc['miscount']:.2%}")
    return table


def _line(figure: str, result: str, target: str, met: bool | None) -> tuple[str, ...]:
    status = ("[dim]not measured[/dim]" if met is None
              else "[green]met[/green]" if met else "[red]not met[/red]")
    return figure, result, target, status


def summary(uci: dict, types: dict[str, dict], spar: dict, sim: dict, mount: dict,
            rest: dict[str, tuple[list[int], int]],
            kiosk: list[tuple[str, str, str, bool | None]]) -> Table:
    table = Table(title="Summary against issue 11's targets")
    for col in ("figure", "result", "target", ""):
        table.add_column(col, justify="left")
    for subject, s in [*uci["subjects"].items(), ("all", uci["total"])]:
        frac = s["exact"] / s["sets"] if s["sets"] else 0.0
        table.add_row(*_line(f"UCI-PT {subject}: sessions = {UCI_REPS}",
                             f"{_pct(s)} ({frac:.1%})", f"≥ 23/24 ({TARGET_UCI_EXACT:.1%})",
                             frac >= TARGET_UCI_EXACT))
        table.add_row(*_line(f"UCI-PT {subject}: miscount", f"{s['miscount']:.2%}",
                             f"≤ {TARGET_UCI_MISCOUNT:.0%}",
                             s["miscount"] <= TARGET_UCI_MISCOUNT))
    t = spar["total"]
    frac = t["within"] / t["sets"] if t["sets"] else 0.0
    table.add_row(*_line(f"SPAR: sets {SPAR_REPS}±{SPAR_TOLERANCE}",
                         f"{_pct(t, 'within')} ({frac:.1%}), {t['refused']} refused",
                         f"≥ {TARGET_SPAR_WITHIN:.0%}", frac >= TARGET_SPAR_WITHIN))
    table.add_row(*_line("SPAR: miscount", f"{t['miscount']:.2%}",
                         f"≤ {TARGET_SPAR_MISCOUNT:.0%}", t["miscount"] <= TARGET_SPAR_MISCOUNT))
    for imus in (1, 2):
        rmse_target = TARGET_RMSE_DEG[imus]
        m = mount[imus]
        table.add_row(*_line(f"random mount, {imus} IMU{'s' if imus > 1 else ''}: exact, RMSE",
                             f"{m['exact']:.1%}, {m['rmse_deg']:.2f}° (n={m['sessions']})",
                             f"100 %, ≤ {rmse_target}°",
                             m["exact"] >= 1.0 and m["rmse_deg"] <= rmse_target))
        n, exact, rmse = sim[imus]
        table.add_row(*_line(f"strapped sim, {imus} IMU{'s' if imus > 1 else ''}: exact, RMSE",
                             f"{exact:.1%}, {rmse:.2f}° (n={n})",
                             f"≥ {TARGET_SIM_EXACT:.0%}, ≤ {rmse_target}° (issue 2)",
                             exact >= TARGET_SIM_EXACT and rmse <= rmse_target))
    d = delay_figures(uci, spar)
    table.add_row(*_line("rep emitted after its end (UCI + SPAR, no ROM prescribed)",
                         f"median {d['median_s']:.2f} s, p90 {d['p90_s']:.2f} s "
                         f"({d['reps']} reps)", "median ≤ 0.5 s", d["median_s"] <= 0.5))
    for row in kiosk:  # the ROM prescribed, fed 10 samples at a time (bench.accuracy_kiosk)
        table.add_row(*_line(*row))
    for name, (counts, expected) in rest.items():
        right = sum(c == expected for c in counts)
        table.add_row(*_line(f"rest: {name}",
                             f"{right}/{len(counts)} count {expected} (counts {counts})",
                             f"count {expected}", right == len(counts)))
    for hold, r in types.items():
        label = ", ".join(r["subjects"]) or "no labels"
        table.add_row(*_line(f"type ({label}), hold {hold}",
                             f"{r['accuracy']:.1%} ({r['right']}/{r['total']})",
                             f"≥ {TARGET_TYPES:.0%}",
                             r["accuracy"] >= TARGET_TYPES if r["total"] else None))
    return table


def _measured_on() -> str:
    """The commit of motion/reps.py (and whether motion/ has uncommitted changes)."""
    try:
        commit = subprocess.run(["git", "log", "-1", "--format=%h", "--", "motion/reps.py"],
                                cwd=REPO_ROOT, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "motion/"],
                               check=False, cwd=REPO_ROOT).returncode != 0
    except (OSError, subprocess.CalledProcessError):
        return "motion/reps.py: commit unknown (no git)"
    return (f"motion/reps.py at {commit.stdout.strip() or '?'}"
            + (" (motion/ has uncommitted changes)" if dirty else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="simulator with one seed and 4 reps (smoke run)")
    args = parser.parse_args()
    seeds, reps = (1, 4) if args.quick else (2, 8)
    console = Console() if sys.stdout.isatty() else Console(width=110)
    logging.getLogger("sensors.replay").setLevel(logging.ERROR)  # notes are summarised below
    t0 = time.perf_counter()
    data = shared_data()
    uci_root, spar_root = data / "uci-pt", data / "spar"
    if not uci_subjects(uci_root) or not spar_subjects(spar_root):
        raise SystemExit(f"UCI-PT subjects (s1/, s2/, …) under {uci_root} and SPAR sets "
                         f"(sNN_EXERCISE_SIDE.csv.gz) under {spar_root} are needed: put the "
                         "shared data there or set REHAB_SHARED_DATA (README, 'Data')")
    with ProcessPoolExecutor(max_workers=2) as pool:  # the simulator runs in the pool
        sim_futures = {two: pool.submit(_sim_rows, two, seeds, reps) for two in (False, True)}
        mount_future = pool.submit(random_mounting, seeds, reps)  # while the real data runs
        uci = uci_counts(uci_root)
        types: dict[str, Any] = {"self-calibrated": uci_types(uci_root),
                                 f"{PROTOCOL_HOLD_S:g} s prescribed":
                                     uci_types(uci_root, hold_s=PROTOCOL_HOLD_S)}
        spar = spar_counts(spar_root)
        console.print(uci_table(uci_root, uci))
        console.print(types_table(types))
        console.print(spar_table(spar_root, spar))
        for s in spar["sets"]:
            if s["refused"]:
                console.print(f"SPAR {s['file']} refused by the loader: {s['refused']}")
        noted = [s for s in spar["sets"] if s["notes"]]
        if noted:
            console.print(f"SPAR: the loader noted something (a warning, not a refusal) on "
                          f"{len(noted)} of {len(spar['sets'])} sets, e.g. {noted[0]['notes'][0]}")
        console.print(loso_table(uci, spar))
        console.print("The motion core learns no parameter from data, so nothing is fitted on "
                      "the other subjects: each row above is that subject held out.")
        table, sim = sim_table({two: f.result() for two, f in sim_futures.items()})
        mount = mount_future.result()
    console.print(table)
    console.print(mounting_table(mount))
    kiosk = kiosk_rows(uci_root, FIDGET_SEEDS, SET_EXERCISES, SET_REPS, spar_root)
    kiosk += protocol_variants.rows()  # simulated protocol changes, replay and kiosk's path
    console.print(summary(uci, types, spar, sim, mount, rest_counts(), kiosk))
    console.print(f"{_measured_on()}; {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
