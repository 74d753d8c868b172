"""``rehab bridge emulate`` and ``rehab bridge monitor PORT``: the serial link, by hand.

``emulate`` serves the wearable firmware (firmware_bridge.emulator) on a pseudo-terminal,
under a stable link name, streaming a simulated exercise with optional faults.
``monitor`` opens a real or emulated port and shows the link live with rich.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import threading
import time
from pathlib import Path
from typing import Any

from rehab.cli import UsageError

DEFAULT_LINK = "/tmp/rehab-emu0"


def register(sub: Any) -> None:
    p = sub.add_parser("bridge", help="serial firmware bridge: emulate a wearable, monitor a link")
    bsub = p.add_subparsers(dest="bridge_cmd", metavar="ACTION", required=True)

    q = bsub.add_parser("emulate", help="serve the wearable firmware on a pseudo-terminal")
    q.add_argument("--exercise", default="knee_extension_seated", help="catalogue id")
    q.add_argument("--reps", type=int, default=10, help="repetitions played (default 10)")
    q.add_argument("--seed", type=int, default=0, help="simulation seed (default 0)")
    q.add_argument("--rate", type=int, default=100, help="sample rate (Hz)")
    q.add_argument("--link", default=DEFAULT_LINK,
                   help=f"stable port name, a symlink to the pty (default {DEFAULT_LINK})")
    q.add_argument("--speed", type=float, default=1.0, help="time runs this many times faster")
    q.add_argument("--noise", type=float, default=0.0, help="chance of garbage before a frame")
    q.add_argument("--crc", type=float, default=0.0, help="chance of a flipped bit in a frame")
    q.add_argument("--drop", type=float, default=0.0, help="chance a frame is never sent")
    q.add_argument("--truncate", type=float, default=0.0, help="chance a frame is cut short")
    q.add_argument("--unplug-at", type=float, default=None, metavar="S",
                   help="unplug S seconds after streaming starts")
    q.add_argument("--unplug-s", type=float, default=2.0, help="how long the unplug lasts")
    q.add_argument("--duration", type=float, default=0.0, help="stop after S seconds (0: never)")
    q.set_defaults(func=emulate)

    q = bsub.add_parser("monitor", help="live view of a link: rate, errors, gaps, drift, battery")
    q.add_argument("port", metavar="PORT", help="/dev/rehab-imu0, a by-id name, or a pty")
    q.add_argument("--rate", type=int, default=100, help="sample rate to ask for (Hz)")
    q.add_argument("--batch", type=int, default=10, help="samples per batch to ask for")
    q.add_argument("--duration", type=float, default=0.0, help="stop after S seconds (0: never)")
    q.add_argument("--json", action="store_true", help="no live view; final figures as JSON")
    q.set_defaults(func=monitor)


def _probability(name: str, value: float) -> float:
    if not 0.0 <= value < 1.0:
        raise UsageError(f"--{name} is a probability in [0, 1), got {value}")
    return value


def emulate(args: argparse.Namespace) -> int:
    from firmware_bridge.emulator import Faults, FirmwareEmulator
    from protocol.clock import ScaledClock
    from sensors.sim import SimConfig, SimError, simulate

    if args.speed <= 0:
        raise UsageError(f"--speed must be > 0, got {args.speed}")
    faults = Faults(noise_prob=_probability("noise", args.noise),
                    crc_prob=_probability("crc", args.crc),
                    drop_prob=_probability("drop", args.drop),
                    truncate_prob=_probability("truncate", args.truncate),
                    unplug_at_s=args.unplug_at, unplug_s=args.unplug_s, seed=args.seed)
    try:
        res = simulate(SimConfig(exercise_id=args.exercise, reps=args.reps, seed=args.seed,
                                 rate_hz=float(args.rate), drop_prob=0.0))
    except SimError as exc:
        raise UsageError(str(exc)) from exc
    link = Path(args.link)
    if link.exists() and not link.is_symlink():
        raise UsageError(f"{link} exists and is not a link: choose another --link")
    emu = FirmwareEmulator(res.distal, rate_hz=args.rate, link_path=link,
                           clock=ScaledClock(args.speed), faults=faults)

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)  # a stop removes the link cleanly
    try:
        with emu:
            print(f"emulated wearable on {emu.port} -> {link.resolve()} ({args.exercise}, "
                  f"{len(res.truth.reps)} reps, {args.rate} Hz, x{args.speed:g})", flush=True)
            deadline = time.monotonic() + args.duration if args.duration > 0 else math.inf
            while time.monotonic() < deadline:
                time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(f"frames sent {emu.frames_sent}, dropped on purpose {emu.frames_dropped}, "
          f"batches spoilt {len(emu.spoilt_batches)}")
    return 0


def _figures(stats: Any) -> dict[str, Any]:
    d = stats.decoder
    return {
        "port": stats.port, "connected": stats.connected,
        "device_id": f"{stats.device_id:016x}" if stats.device_id is not None else None,
        "firmware": ".".join(map(str, stats.fw_version)) if stats.fw_version else None,
        "rate_hz": round(stats.rate_hz, 2), "samples": stats.samples,
        "sample_gaps": stats.sample_gaps, "samples_lost": stats.samples_lost,
        "frames": d.frames, "crc_errors": d.crc_errors, "framing_errors": d.framing_errors,
        "frames_lost": d.lost, "duplicates": d.duplicates,
        "drift_ppm": round(stats.drift_ppm, 1), "offset_s": round(stats.offset_s, 6),
        "rtt_ms": None if math.isnan(stats.rtt_ms) else round(stats.rtt_ms, 3),
        "battery_mv": stats.battery_mv, "battery_pct": stats.battery_pct,
        "connects": stats.connects, "reconnects": stats.reconnects,
        "outages_s": [round(x, 3) for x in stats.outages_s], "last_error": stats.last_error,
    }


def _table(fig: dict[str, Any]) -> Any:
    from rich.table import Table

    state = "[green]streaming[/]" if fig["connected"] else "[yellow]waiting for device[/]"
    table = Table(title=f"rehab bridge monitor — {fig['port']}  {state}", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    bad = lambda n: f"[red]{n}[/]" if n else str(n)  # noqa: E731
    rows = [
        ("device / firmware", f"{fig['device_id'] or '-'} / {fig['firmware'] or '-'}"),
        ("rate (Hz)", f"{fig['rate_hz']:.1f}"),
        ("samples", str(fig["samples"])),
        ("sample gaps / lost", f"{bad(fig['sample_gaps'])} / {bad(fig['samples_lost'])}"),
        ("CRC errors", bad(fig["crc_errors"])),
        ("framing errors", bad(fig["framing_errors"])),
        ("frames lost / duplicates", f"{bad(fig['frames_lost'])} / {bad(fig['duplicates'])}"),
        ("clock drift (ppm)", f"{fig['drift_ppm']:+.1f}"),
        ("round trip (ms)", "-" if fig["rtt_ms"] is None else f"{fig['rtt_ms']:.2f}"),
        ("battery", "-" if fig["battery_mv"] is None
         else f"{fig['battery_mv']} mV, {fig['battery_pct']} %"),
        ("connects / reconnects", f"{fig['connects']} / {fig['reconnects']}"),
        ("last error", fig["last_error"] or "-"),
    ]
    for k, v in rows:
        table.add_row(k, v)
    return table


def monitor(args: argparse.Namespace) -> int:
    from firmware_bridge.session import BridgeSession
    from protocol.host import StreamConfig

    session = BridgeSession(args.port, config=StreamConfig(rate_hz=args.rate,
                                                           batch_len=args.batch))
    stop = threading.Event()
    worker = threading.Thread(target=session.run, args=(lambda chunk: None, stop), daemon=True)
    worker.start()
    deadline = time.monotonic() + args.duration if args.duration > 0 else math.inf
    try:
        if args.json:
            while time.monotonic() < deadline:
                time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
        else:
            from rich.live import Live

            with Live(_table(_figures(session.stats)), refresh_per_second=4) as live:
                while time.monotonic() < deadline:
                    time.sleep(0.25)
                    live.update(_table(_figures(session.stats)))
    except KeyboardInterrupt:
        pass
    finally:
        final = _figures(session.stats)  # as the link was, before closing it
        stop.set()
        worker.join(5.0)
    if args.json:
        print(json.dumps(final, indent=1))
    return 0
