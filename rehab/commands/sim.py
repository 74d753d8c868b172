"""``rehab sim``: simulate a wearable doing a catalogue exercise, to files or live.

With ``--out`` it writes the project CSV (and ``--truth`` the ground truth JSON); without,
it streams the simulation in real time through the motion core and shows the angle and
each rep as it is counted, then a table of the set.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
from pathlib import Path
from typing import Any, Protocol, Self

import numpy as np
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from rehab.cli import UsageError
from sensors.sim import SimConfig, SimError, SimResult, SimSource, simulate
from sensors.source import SensorError
from sensors.types import ImuChunk
from therapy.catalogue import CATALOGUE

ANGLE_LINE_EVERY_S = 1.0  # plain (non-terminal) output: one angle line per stream second
# Checked before anything is allocated: 1000 reps of the slowest exercise (~10 s a rep) is
# under 3 hours, ~1 M samples at 100 Hz; 10**9 reps asked for terabytes (MemoryError).
MAX_SIM_REPS = 1000
MAX_SEED = 2**63 - 1  # numpy's SeedSequence takes any non-negative int; keep it an int64
BAR_WIDTH = 40


class Analyzer(Protocol):
    """What live mode needs of ``motion.pipeline.SetAnalyzer``."""

    angle_deg_: float

    def feed(self, chunk: ImuChunk, proximal: ImuChunk | None = None) -> list[Any]: ...

    def finish(self) -> list[Any]: ...


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "sim",
        help="simulate a wearable doing an exercise (to CSV, or live through the motion core)",
        description=__doc__,
    )
    p.add_argument("--list", action="store_true", help="print the exercise ids and exit")
    p.add_argument("--exercise", metavar="ID", help="catalogue exercise id (see --list)")
    p.add_argument("--reps", type=int, default=None, help="repetitions (default: catalogue)")
    p.add_argument("--rate-hz", type=float, default=100.0, help="sample rate (default 100)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--two-segment", action="store_true", help="also simulate the proximal IMU")
    p.add_argument("--out", type=Path, metavar="FILE.csv", help="write the distal CSV")
    p.add_argument("--out-proximal", type=Path, metavar="FILE.csv",
                   help="proximal CSV (default with --two-segment: FILE.proximal.csv)")
    p.add_argument("--truth", type=Path, metavar="FILE.json", help="write the ground truth")
    p.add_argument("--speed", type=float, default=1.0,
                   help="live mode: times real time (0 = as fast as possible; default 1)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.list:
        for exercise_id in CATALOGUE:
            print(exercise_id)
        return 0
    if not args.exercise:
        raise UsageError("--exercise is required (rehab sim --list shows the ids)")
    if args.exercise not in CATALOGUE:
        raise UsageError(f"unknown exercise {args.exercise!r}; known: {', '.join(CATALOGUE)}")
    if args.out_proximal is not None and not (args.two_segment and args.out is not None):
        raise UsageError("--out-proximal needs --two-segment and --out")
    if not (math.isfinite(args.speed) and args.speed >= 0):
        raise UsageError(f"--speed must be a number >= 0, got {args.speed}")
    check_seed(args.seed)
    if args.reps is not None and not 1 <= args.reps <= MAX_SIM_REPS:
        raise UsageError(f"--reps must be 1..{MAX_SIM_REPS}, got {args.reps}")
    reps = args.reps if args.reps is not None else CATALOGUE[args.exercise].reps
    cfg = SimConfig(exercise_id=args.exercise, reps=reps, rate_hz=args.rate_hz, seed=args.seed,
                    two_segment=args.two_segment)
    try:
        res = simulate(cfg)
    except SimError as exc:
        raise UsageError(str(exc)) from exc
    if args.truth is not None:
        _write(args.truth, lambda p: p.write_text(json.dumps(res.truth.to_json()) + "\n"))
    if args.out is None:
        return run_live(res, _make_analyzer(res), args.speed)
    write_outputs(res, args.out, args.out_proximal)
    return 0


def check_seed(seed: int) -> None:
    """A simulation seed must be 0..2**63-1 (numpy refuses negative seeds with a traceback)."""
    if not 0 <= seed <= MAX_SEED:
        raise UsageError(f"--seed must be 0..{MAX_SEED}, got {seed}")


def proximal_path(out: Path) -> Path:
    """FILE.csv -> FILE.proximal.csv (and FILE.csv.gz -> FILE.proximal.csv.gz)."""
    name = out.name
    for suffix in (".csv.gz", ".csv"):
        if name.endswith(suffix):
            return out.with_name(name[: -len(suffix)] + ".proximal" + suffix)
    return out.with_name(name + ".proximal.csv")


def write_outputs(res: SimResult, out: Path, out_proximal: Path | None) -> None:
    from sensors.replay import write_csv

    _write(out, lambda p: write_csv(p, res.distal))
    print(f"wrote {len(res.distal)} samples ({res.info.segment}) to {out}")
    if res.proximal is not None:
        prox = out_proximal or proximal_path(out)
        chunk = res.proximal
        _write(prox, lambda p: write_csv(p, chunk))
        print(f"wrote {len(chunk)} samples ({res.proximal_info.segment}) to {prox}")  # type: ignore[union-attr]


def _write(path: Path, do: Any) -> None:
    try:
        do(path)
    except (OSError, SensorError) as exc:
        raise UsageError(f"cannot write {path}: {exc}") from exc


def _make_analyzer(res: SimResult) -> Analyzer:
    """The analyzer the kiosk would build for this exercise at the catalogue's prescription
    (the simulation plays it), through the same SetParams and builder."""
    from motion.params import build_analyzer
    from therapy.params import plan_item_params
    from therapy.plan import exercise_from_catalogue

    item = exercise_from_catalogue(res.config.exercise.id)
    params = plan_item_params(item, two_imu=res.proximal is not None)
    try:
        return build_analyzer(res.config.rate_hz, params)
    except ModuleNotFoundError as exc:
        if exc.name not in ("motion.pipeline", "motion"):
            raise
        raise UsageError("live mode needs motion.pipeline (not installed); use --out") from exc


def aligned_pair(res: SimResult) -> tuple[ImuChunk, ImuChunk | None]:
    """Distal stream, and the proximal put onto its sample times by the motion core's
    ``align_pair`` (the same path two replayed files take)."""
    if res.proximal is None:
        return res.distal, None
    from motion.pipeline import align_pair

    return align_pair(res.distal, res.proximal)


def run_live(res: SimResult, analyzer: Analyzer, speed: float,
             console: Console | None = None, chunk_size: int = 10) -> int:
    """Stream ``res`` through ``analyzer`` (real time x ``speed``; 0 = unpaced) and show it."""
    console = console or Console()
    view = _LiveView(res, console)
    distal, proximal = aligned_pair(res)
    realtime = speed > 0

    async def stream() -> None:
        d_src = SimSource(distal, res.info, chunk_size, realtime, speed or 1.0)
        p_info = res.proximal_info or res.info
        p_src = (SimSource(proximal, p_info, chunk_size, realtime, speed or 1.0)
                 if proximal is not None else None)
        async for chunk in d_src:
            prox = await p_src.__anext__() if p_src is not None else None
            for rep in analyzer.feed(chunk, prox):
                view.rep(rep)
            view.angle(float(chunk.t_s[-1]), analyzer.angle_deg_)

    with view:
        asyncio.run(stream())
        for rep in analyzer.finish():
            view.rep(rep)
    view.summary()
    return 0


class _LiveView:
    """rich Live on a terminal; plain lines (reps, an angle line per second) otherwise."""

    def __init__(self, res: SimResult, console: Console) -> None:
        self.res = res
        self.console = console
        self.reps: list[Any] = []
        self.t_s = 0.0
        self.angle_deg = 0.0
        self._next_line_s = 0.0
        self._live = Live(console=console, refresh_per_second=8) if console.is_terminal else None

    def __enter__(self) -> Self:
        if self._live is not None:
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.update(self._render())
            self._live.__exit__(None, None, None)

    def _truth_rom(self, rep: Any) -> float | None:
        for t in self.res.truth.reps:
            if t.t_start - 0.5 <= rep.t_peak <= t.t_end + 0.5:
                return t.rom_deg
        return None

    def _rep_row(self, rep: Any) -> tuple[str, ...]:
        truth = self._truth_rom(rep)
        return (str(rep.n), f"{rep.t_peak:.1f}", f"{rep.rom_deg:.1f}",
                "-" if truth is None else f"{truth:.1f}", f"{rep.hold_s:.1f}",
                f"{rep.up_s:.1f}/{rep.down_s:.1f}", ",".join(map(str, rep.flags)) or "-")

    def _table(self) -> Table:
        table = Table(title=f"{self.res.config.exercise.name}: {len(self.reps)} reps counted, "
                      f"{len(self.res.truth.reps)} simulated")
        for col in ("rep", "t peak s", "ROM °", "true ROM °", "hold s", "up/down s", "flags"):
            table.add_column(col, justify="left" if col == "flags" else "right")
        for rep in self.reps:
            table.add_row(*self._rep_row(rep))
        return table

    def _render(self) -> Group:
        target = self.res.config.exercise.target_rom_deg
        filled = int(np.clip(self.angle_deg / target, 0.0, 1.2) * BAR_WIDTH)
        bar = Text(f"t {self.t_s:6.1f} s  angle {self.angle_deg:6.1f}°  ")
        bar.append("█" * filled, style="green").append("·" * max(0, BAR_WIDTH - filled))
        return Group(bar, self._table())

    def angle(self, t_s: float, angle_deg: float) -> None:
        self.t_s, self.angle_deg = t_s, angle_deg
        if self._live is not None:
            self._live.update(self._render())
        elif t_s >= self._next_line_s:
            self._next_line_s = t_s + ANGLE_LINE_EVERY_S
            print(f"t {t_s:6.1f} s  angle {angle_deg:6.1f} deg")

    def rep(self, rep: Any) -> None:
        self.reps.append(rep)
        if self._live is None:
            n, t, rom, truth, hold, tempo, flags = self._rep_row(rep)
            print(f"rep {n}: t {t} s  ROM {rom} deg (true {truth})  hold {hold} s  "
                  f"up/down {tempo} s  flags {flags}")

    def summary(self) -> None:
        if self._live is None:
            self.console.print(self._table())
