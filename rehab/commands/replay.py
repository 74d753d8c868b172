"""``rehab replay``: push a recorded file through the kiosk's own streaming pipeline.

Prints a table of the reps, or with ``--json`` exactly one JSON object on stdout. A UCI-PT
session folder (``…/eN`` holding ``u1…u5``) replays the unit that rotates most.

The analyzer is built from the same :class:`~motion.params.SetParams` the kiosk builds for
the exercise (``--exercise``: which way is up) and its prescription (``--target-rom-deg``,
``--hold-s``, ``--tempo-s``), by the same builder. What loading had to assume (a unit
without a still period to prove it, ...) is logged and listed under ``warnings``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

# Before numpy is first imported (below): its OpenBLAS starts a worker thread per core that
# spins after every call. Replay's matrix products are (n, 3) by 3, far too small to share
# out, so the workers only burned a second core: 0.57 -> 0.40 s CPU for the hour-long
# replay (on a busy machine that core is someone else's). The same results (a product this
# small is never split). Only this command's process: the kiosk keeps its threads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from motion.params import SetParams  # noqa: E402
from motion.run import run_set, set_summary  # noqa: E402
from rehab.cli import UsageError  # noqa: E402
from sensors.replay import Recording, ReplayError, ReplayFormat, load_recording  # noqa: E402

_LOG = logging.getLogger(__name__)
# Samples per feed. Live wearables deliver 10-30 at a time; a file goes in steps of ~5.5 min
# at 100 Hz (~2.7 min at 200 Hz) to keep per-step overhead off the hour-long replay: the
# pipeline takes 0.20 s CPU at 8192-sample steps against 0.24 s at 2048, and (once the
# per-block and per-window calls inside a step were cut) 0.139-0.141 s at 32768 against
# 0.151-0.155 s at 8192 (200 Hz: 0.164-0.172 against 0.193); 65536 is no better, the whole
# hour at once worse (its arrays outgrow the cache). The same reps whatever the step (the
# pipeline is chunk-invariant, tested with steps of 1 to 1000 samples and here with --chunk).
REPLAY_CHUNK = 32768
MALLOC_KEEP_BYTES = 32 << 20


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "replay",
        help="count reps and ROM in a recorded file",
        description="Replay a recording through the same streaming code the kiosk runs.",
    )
    p.add_argument("path", type=Path, help="recording (csv, UCI-PT .txt[.gz], MetaWear csv) "
                   "or a UCI-PT session folder")
    p.add_argument("--format", dest="fmt", metavar="{" + ",".join(f.value for f in ReplayFormat) + "}",
                   help="file format (guessed from the file when left out)")
    p.add_argument("--rate-hz", type=float, help="sample rate, when the file's is wrong")
    p.add_argument("--proximal", type=Path,
                   help="recording of the proximal segment: measure the joint angle")
    p.add_argument("--hold-s", type=float, help="prescribed hold at the top (s)")
    p.add_argument("--target-rom-deg", type=float, help="prescribed range of motion (deg)")
    p.add_argument("--tempo-s", type=float,
                   help="prescribed up + down time of one rep (s), as the plan's up_s + down_s")
    p.add_argument("--exercise", metavar="ID",
                   help="catalogue exercise (tells which way is up, e.g. a forward bend; "
                   "without it the rest pose tells: a sensor standing up from its pivot "
                   "is lowered by the movement); `rehab sim --list` lists them")
    p.add_argument("--chunk", type=int, default=REPLAY_CHUNK,
                   help=f"samples fed per step (default {REPLAY_CHUNK}; the reps do not "
                   "depend on it: the pipeline is chunk-invariant)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--camera", action="store_true",
                   help="PATH is a video: count reps from the camera's pose landmarks")
    p.add_argument("--joint", help="with --camera: joint and side, e.g. knee_right")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for name in ("rate_hz", "hold_s", "target_rom_deg", "tempo_s"):
        value = getattr(args, name)
        if value is not None and not value > 0:
            raise UsageError(f"--{name.replace('_', '-')} must be a positive number")
    if args.chunk < 1:
        raise UsageError("--chunk must be at least 1")
    if args.exercise is not None and args.exercise not in _catalogue():
        raise UsageError(f"unknown exercise {args.exercise!r}; `rehab sim --list` lists them")
    if args.camera:
        return _run_camera(args)
    _keep_freed_memory()
    try:
        rec = _load(args)
        prox = load_recording(args.proximal, args.fmt, args.rate_hz) if args.proximal else None
    except ReplayError as exc:
        raise UsageError(str(exc)) from exc
    if len(rec.chunk) == 0:
        raise UsageError(f"{rec.path}: no samples")
    analyzer = run_set(
        rec.chunk,
        rec.rate_hz,
        proximal=prox.chunk if prox is not None else None,
        chunk_size=args.chunk,
        params=replay_params(args, rec, two_imu=prox is not None),
    )
    warnings = [*rec.notes, *(prox.notes if prox is not None else ())]
    summary = set_summary(analyzer, float(rec.chunk.t_s[0]), warnings)
    summary["nan_rows"] = rec.nan_rows + (prox.nan_rows if prox is not None else 0)
    if args.json:
        sys.stdout.write(json.dumps(summary) + "\n")
        return 0
    _print_table(summary, str(rec.path))
    return 0


def _keep_freed_memory() -> None:
    """glibc only: memory this process frees stays in it for the next allocation.

    By default glibc maps blocks over ~128 kB fresh from the system and, once freed, gives
    them back (raising that bound to the largest block freed so far): the parser's
    per-piece integers (a megabyte, grown step by step by ``np.fromstring``) and other
    temporaries a little larger than the last were faulted in page by page again, ~3,500
    of the ~7,000 page faults of loading the hour at 100 Hz (~1.5 µs each here). With
    these bounds at 32 MB (the ceiling of glibc's own adaptive bound) they are reused; the process is short-lived
    and its peak memory the same. Other C libraries (musl, macOS) keep their own policy.
    Set when a replay runs (a program calling ``rehab.cli.main`` in-process gets it too:
    it only decides when freed memory goes back to the system).
    """
    from sensors.glibc_heap import set_malloc_bounds  # ctypes: numpy imports it anyway

    set_malloc_bounds(MALLOC_KEEP_BYTES, MALLOC_KEEP_BYTES)


# The helpers below import what only some paths need, where they need it: an hour-long CSV
# replay pays Python start-up on every run and is measured against a bare fusion loop.


def _catalogue() -> dict:
    from therapy.catalogue import CATALOGUE

    return CATALOGUE


def _load(args: argparse.Namespace) -> Recording:
    if args.path.is_dir():
        from sensors.replay.select import most_rotating, session_units

        units = session_units(args.path)
        if units:
            rec = most_rotating(units, args.fmt, args.rate_hz)
            _LOG.info("replaying %s, the unit that rotates most", rec.path)
            return rec
    return load_recording(args.path, args.fmt, args.rate_hz)


def replay_params(args: argparse.Namespace, rec: Recording, two_imu: bool) -> SetParams:
    """The SetParams the kiosk builds for ``--exercise`` (therapy.params.set_params), with
    the prescription given on the command line; without ``--exercise`` the file's layout may
    still say which way is up. Targets left out stay None: the set calibrates itself."""
    if args.exercise:
        from therapy.params import set_params

        base = set_params(_catalogue()[args.exercise], two_imu=two_imu)
    else:
        base = SetParams(lifts=_layout_lifts(rec), two_imu=two_imu)
    return replace(base, target_rom_deg=args.target_rom_deg, target_hold_s=args.hold_s,
                   target_tempo_s=args.tempo_s)


def _layout_lifts(rec: Recording) -> bool | None:
    """Whether the recording's layout names an exercise that lifts the segment (True) or
    lowers it (False), as UCI-PT's ``eN`` folders do; None when it names none: the motion
    core then reads it from the rest pose (``motion.angle.rest_lift_sign``)."""
    if rec.fmt == ReplayFormat.UCI_PT:
        from sensors.replay.labels import uci_lifts

        return uci_lifts(rec.path)  # the layout names the exercise (eN), or None
    return None


def _run_camera(args: argparse.Namespace) -> int:
    """A video through the camera path: the camera's angle source (sensors.camera), the
    exercise's polarity from the catalogue, reps by the motion core (motion.camera_set);
    the same JSON as an IMU replay."""
    import asyncio

    from motion.camera_set import CameraSet
    from sensors.camera import CameraError
    from sensors.camera.angles import CameraJoint
    from sensors.camera.framing import view_of_plane
    from sensors.camera.source import CameraSource
    from sensors.camera.stream import CameraAngleStream, view_warnings

    if not args.joint:
        raise UsageError("--camera needs --joint, e.g. --joint knee_right")
    ex = _catalogue()[args.exercise] if args.exercise else None
    sign = ex.movement_sign if ex is not None else 1.0
    view = view_of_plane(ex.plane) if ex is not None else None  # else side nor facing judged
    try:
        stream = CameraAngleStream(CameraJoint.parse(args.joint), sign=sign, view=view)
        source = CameraSource.open_video(args.path, stream)
        cam = CameraSet(fps=source.info.rate_hz, target_rom_deg=args.target_rom_deg,
                        target_hold_s=args.hold_s, target_tempo_s=args.tempo_s)

        async def replay() -> None:
            try:
                await cam.run(source)
            finally:
                await source.aclose()

        asyncio.run(replay())
    except CameraError as exc:
        raise UsageError(str(exc)) from exc
    analyzer = cam.analyzer
    _LOG.info("camera replay: %d frames, joint unseen in %d", stream.frames_, stream.unseen_)
    warnings = view_warnings(stream)  # how the camera saw the patient (a count's doubts)
    for w in warnings:
        _LOG.warning("%s: %s", args.path, w)
    summary = set_summary(analyzer, 0.0, warnings)
    summary["nan_rows"] = analyzer.rejected_  # frames where the joint was not seen
    if args.json:
        sys.stdout.write(json.dumps(summary) + "\n")
        return 0
    _print_table(summary, str(args.path))
    return 0


def _print_table(summary: dict, name: str) -> None:
    from rich.console import Console  # only the table needs rich: --json starts faster
    from rich.table import Table

    console = Console()
    table = Table(title=f"{name}: {summary['count']} reps")
    for col in ("n", "start s", "peak s", "end s", "detected s", "ROM °", "hold s", "up s",
                "down s", "flags"):
        table.add_column(col, justify="right" if col != "flags" else "left")
    for r in summary["reps"]:
        table.add_row(
            str(r["n"]), f"{r['t_start']:.2f}", f"{r['t_peak']:.2f}", f"{r['t_end']:.2f}",
            f"{r['t_detected']:.2f}", f"{r['rom_deg']:.1f}", f"{r['hold_s']:.1f}",
            f"{r['up_s']:.1f}", f"{r['down_s']:.1f}", ", ".join(r["flags"]) or "-",
        )
    console.print(table)
    console.print(
        f"{summary['samples']} samples at {summary['rate_hz']:g} Hz; "
        f"{summary['gaps']} gaps ({summary['gap_s']:.1f} s); "
        f"{summary['nan_rows']} rows with missing values skipped"
    )
