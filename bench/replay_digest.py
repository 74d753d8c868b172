"""What the replay path outputs on every recording: a digest to prove a speed-up changed nothing.

Run: ``python -m bench.replay_digest OUT.json [--compare BEFORE.json]``.

Covers every real recording in ``../shared/data`` through ``rehab replay --json`` in this
process (UCI-PT subjects 1 and 2: each session folder, which replays the unit that rotates
most, and every unit's test and template file; SPAR subjects 1-3, every set), a simulated
10-minute CSV at 100 and 200 Hz through the same command (the fixed-decimal parser, the
default replay step), and the simulator sets ``bench.accuracy`` counts (strapped and random
mounting, one and two IMUs, every rate and noise level, fed in chunks of 32 as it does)
plus its standing-sway rest sets.

Per entry: the count, each rep's ROM rounded to 0.01° and its flags (what the digest
compares), and ``exact``, every rep's ROM/times/hold to full float precision: a difference
there alone is reported as a float-level change, not a failure.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench._data import shared_data
from bench.accuracy import NOISE, RATES, REST_AMPS_DEG, REST_SEEDS, SIM_EXERCISES
from motion.pipeline import SetAnalyzer
from motion.run import run_set
from rehab.cli import main as rehab_main
from sensors.replay import write_csv
from sensors.sim import SimConfig, simulate
from sensors.sim.rest import standing_sway
from therapy.catalogue import CATALOGUE

SIM_SEEDS = 2  # bench.accuracy's full run: two seeds of 8 reps
SIM_REPS = 8
CSV_MINUTES = 10.0


def _rep_entry(count: int, roms: list[float], flags: list[list[str]], exact: Any) -> dict:
    return {"count": count, "rom_deg": [round(r, 2) for r in roms], "flags": flags,
            "exact": exact}


def replay_json(path: Path, *extra: str) -> dict:
    """``rehab replay PATH --json`` run in this process: its JSON object."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = rehab_main(["replay", str(path), "--json", *extra])
    if status != 0:
        raise RuntimeError(f"rehab replay {path} exited {status}")
    return json.loads(out.getvalue())


def cli_entry(path: Path, *extra: str) -> dict:
    s = replay_json(path, *extra)
    reps = s["reps"]
    exact = {k: v for k, v in s.items() if k != "reps"} | {"reps": reps}
    return _rep_entry(s["count"], [r["rom_deg"] for r in reps], [r["flags"] for r in reps], exact)


def analyzer_entry(an: SetAnalyzer) -> dict:
    exact = [[r.rom_deg, r.t_start, r.t_peak, r.t_end, r.t_detected, r.hold_s, r.up_s,
              r.down_s, r.peak_deg] for r in an.reps_]
    return _rep_entry(len(an.reps_), [r.rom_deg for r in an.reps_],
                      [[str(f) for f in r.flags] for r in an.reps_],
                      {"reps": exact, "samples": an.samples_, "gaps": an.gaps_,
                       "rejected": an.rejected_})


def real_files(root: Path) -> Iterator[tuple[str, Path]]:
    uci = root / "uci-pt"
    for session in sorted(uci.glob("s[12]/e*")):
        yield str(session.relative_to(root)), session
        for f in sorted(session.glob("u*/*.txt.gz")):
            yield str(f.relative_to(root)), f
    for f in sorted((root / "spar").glob("s0[123]_*.csv.gz")):
        yield str(f.relative_to(root)), f


def sim_sets() -> Iterator[tuple[str, Any]]:
    """(name, analyzer factory) for the sets bench.accuracy runs, same configs."""
    for mounting in ("auto", "random"):
        for two in (False, True):
            for ex_id in SIM_EXERCISES:
                lifts = CATALOGUE[ex_id].lifts
                for rate in RATES:
                    for noise, kw in NOISE.items():
                        for seed in range(SIM_SEEDS):
                            cfg = SimConfig(exercise_id=ex_id, reps=SIM_REPS, rate_hz=rate,
                                            seed=1000 * seed + int(rate), two_segment=two,
                                            mounting=mounting, **kw)
                            name = (f"sim/{mounting}/{'2imu' if two else '1imu'}/{ex_id}/"
                                    f"{rate:g}Hz/{noise}/seed{seed}")
                            yield name, lambda cfg=cfg, rate=rate, lifts=lifts: _sim_run(
                                cfg, rate, lifts)
    for amp in REST_AMPS_DEG:
        for seed in range(REST_SEEDS):
            yield (f"rest/{amp:g}deg/seed{seed}",
                   lambda seed=seed, amp=amp: run_set(standing_sway(seed, amp), 50.0))


def _sim_run(cfg: SimConfig, rate: float, lifts: bool) -> SetAnalyzer:
    res = simulate(cfg)
    return run_set(res.distal, rate, proximal=res.proximal, lifts=lifts)


def digest() -> dict[str, dict]:
    out: dict[str, dict] = {}
    root = shared_data()
    if not (root / "uci-pt").is_dir() or not (root / "spar").is_dir():
        raise SystemExit(f"shared recordings not found under {root} (set REHAB_SHARED_DATA)")
    for name, path in real_files(root):
        out[name] = cli_entry(path)
    with tempfile.TemporaryDirectory() as tmp:
        for rate in (100.0, 200.0):
            res = simulate(SimConfig(exercise_id="knee_extension_seated",
                                     reps=int(CSV_MINUTES * 60 / 7.5), rate_hz=rate, seed=3))
            path = Path(tmp) / f"ten_minutes_{int(rate)}hz.csv"
            write_csv(path, res.distal)
            out[f"csv/{int(rate)}Hz"] = cli_entry(path)
    for name, make in sim_sets():
        out[name] = analyzer_entry(make())
    return out


def compare(before: dict[str, dict], after: dict[str, dict]) -> int:
    """Print the differences; 0 when counts, ROMs (0.01°) and flags all match."""
    bad = float_only = 0
    for name in sorted(set(before) | set(after)):
        b, a = before.get(name), after.get(name)
        if b is None or a is None:
            print(f"{name}: only in {'after' if b is None else 'before'}")
            bad += 1
            continue
        if (b["count"], b["rom_deg"], b["flags"]) != (a["count"], a["rom_deg"], a["flags"]):
            print(f"{name}: count {b['count']} -> {a['count']}, "
                  f"rom {b['rom_deg']} -> {a['rom_deg']}, flags {b['flags']} -> {a['flags']}")
            bad += 1
        elif b["exact"] != a["exact"]:
            float_only += 1
            print(f"{name}: same digest, full-precision values differ")
    print(f"{len(after)} entries: {bad} differ in count/ROM/flags, "
          f"{float_only} only at full float precision")
    return 1 if bad else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="where to write the digest (JSON)")
    parser.add_argument("--compare", type=Path, help="an earlier digest to compare with")
    args = parser.parse_args()
    t = time.perf_counter()
    d = digest()
    args.out.write_text(json.dumps(d, indent=0, sort_keys=True))
    print(f"{len(d)} entries, {sum(e['count'] for e in d.values())} reps, "
          f"{time.perf_counter() - t:.0f} s -> {args.out}")
    if args.compare:
        sys.exit(compare(json.loads(args.compare.read_text()), d))


if __name__ == "__main__":
    main()
