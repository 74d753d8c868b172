"""``rehab session --sim EXERCISE --reps N``: one simulated session, stored and sent.

Runs the simulator (``sensors.sim``) through the real motion core and the same
:class:`~therapy.session.SessionController` the kiosk uses, stores the record with its
outbox rows, then sends for at most ``--send-timeout`` seconds. Whatever is not
acknowledged stays in the outbox (``rehab sync`` or the kiosk sends it later); the command
still exits 0 and says how many records wait.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import math
import time
from typing import Any

from rehab.cli import UsageError

MAX_SEED = 2**63 - 1  # the simulator's seed range (numpy refuses negative seeds)
MAX_SEND_TIMEOUT_S = 3600.0


def add_link_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--broker", help="mqtt://host[:port] or mqtts://user:pass@host[:port]")
    p.add_argument("--device", help="this device's opaque id")
    p.add_argument("--clinic", help="the clinic's opaque id")
    p.add_argument("--data-dir", help="state folder (default: per-user data dir; "
                   "/var/lib/rehab under systemd)")


def register(sub: Any) -> None:
    p = sub.add_parser("session", help="run one (simulated) exercise session, store and send it")
    p.add_argument("--sim", metavar="EXERCISE", required=True,
                   help="simulate this catalogue exercise (e.g. knee_extension_seated)")
    p.add_argument("--reps", type=int, default=10, help="repetitions to perform (default 10)")
    p.add_argument("--pain-before", type=int, metavar="P", help="pain 0-10 before the session")
    p.add_argument("--pain-after", type=int, metavar="Q", help="pain 0-10 after the session")
    p.add_argument("--note", default="", help="free-text note with the pain-after report")
    p.add_argument("--side", default=None, help="left|right|both (default: plan or right)")
    p.add_argument("--two-imu", action="store_true", help="simulate a proximal wearable too")
    p.add_argument("--seed", type=int, default=0, help="simulation seed")
    p.add_argument("--realtime", type=float, default=0.0, metavar="SPEED",
                   help="stream at SPEED x real time (default: as fast as possible)")
    p.add_argument("--send-timeout", type=float, default=10.0,
                   help="seconds to wait for the clinic link (default 10)")
    add_link_flags(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mqtt.config import load_config
    from mqtt.errors import ConfigError
    from therapy.errors import PlanError
    from therapy.signing import clinic_key

    for name in ("pain_before", "pain_after"):
        v = getattr(args, name)
        if v is not None and not 0 <= v <= 10:
            raise UsageError(f"--{name.replace('_', '-')} must be 0..10, got {v}")
    if not 1 <= args.reps <= 100:
        raise UsageError(f"--reps must be 1..100, got {args.reps}")
    if not 0 <= args.seed <= MAX_SEED:
        raise UsageError(f"--seed must be 0..{MAX_SEED}, got {args.seed}")
    if not (math.isfinite(args.realtime) and args.realtime >= 0):
        raise UsageError(f"--realtime must be a number >= 0, got {args.realtime}")
    if not (math.isfinite(args.send_timeout) and 0 <= args.send_timeout <= MAX_SEND_TIMEOUT_S):
        raise UsageError(f"--send-timeout must be 0..{MAX_SEND_TIMEOUT_S:g} s, "
                         f"got {args.send_timeout}")
    try:
        cfg = load_config(args.data_dir, broker=args.broker, device=args.device,
                          clinic=args.clinic)
        clinic_key(cfg.clinic_public_key)  # a malformed key: one line naming it, exit 2
        return asyncio.run(_session(args, cfg))
    except (ConfigError, PlanError) as exc:
        raise UsageError(str(exc)) from exc


async def _session(args: argparse.Namespace, cfg: Any) -> int:
    from mqtt.device import DeviceLink
    from sensors.sim import SimConfig, sim_sources
    from therapy.plan import Side, exercise_from_catalogue
    from therapy.ports import FhirEncoder
    from therapy.session import SessionController
    from therapy.store import TherapyStore

    store = TherapyStore(cfg.data_dir / "rehab.db")
    current = store.current_plan()
    plan_version = None
    try:
        ex = current[0].exercise(args.sim) if current else None
        plan_version = current[0].version if current else None
    except KeyError:
        ex = None
    ex = ex or exercise_from_catalogue(args.sim)
    side = Side(args.side) if args.side else ex.side
    ex = dataclasses.replace(ex, reps=args.reps, sets=1, side=side)
    link = DeviceLink(cfg, store)
    link.start()
    try:
        ctl = SessionController(ex, sink=store, encoder=FhirEncoder(cfg.device),
                                plan_version=plan_version)
        ctl.add_listener(link.live_listener)
        appointment = _due_appointment(store, ctl.clock.now())
        if appointment is not None:
            ctl.appointment_id = appointment
            link.wait_connected(min(args.send_timeout, 2.0))
            link.start_appointment(appointment, ctl.session_id)
        if args.pain_before is not None:
            ctl.set_pain_before(args.pain_before)
        distal, proximal = sim_sources(
            SimConfig(exercise_id=ex.exercise_id, reps=args.reps, seed=args.seed,
                      two_segment=args.two_imu),
            realtime=args.realtime > 0, speed=args.realtime or 1.0)
        await ctl.run_set(distal, proximal)
        rec = ctl.finish(pain_after=args.pain_after, note=args.note)
        link.notify_outbox()
        rom = f"{rec.mean_rom_deg:.1f} deg" if rec.mean_rom_deg is not None else "-"
        print(f"session {rec.id}: {ex.exercise_id} {rec.rep_count}/{args.reps} reps, "
              f"mean ROM {rom}, stored")
        t0 = time.monotonic()
        await asyncio.to_thread(link.wait_drained, args.send_timeout)
        waiting = store.outbox_count()
        if waiting:
            why = f" ({link.last_error})" if link.last_error else ""
            print(f"{waiting} records wait in the outbox{why}")
        else:
            print(f"all records sent in {time.monotonic() - t0:.1f} s; 0 records wait")
        return 0
    finally:
        link.stop()
        store.close()


def _due_appointment(store: Any, now: Any) -> str | None:
    """An appointment running now that has not been started yet."""
    from datetime import timedelta

    from therapy.dates import is_sane

    for a in store.appointments():  # a row of year 1 or 9999 an old version stored: skip
        if a.started_at is None and is_sane(a.start_at) \
                and a.start_at - timedelta(minutes=10) <= now \
                <= a.start_at + timedelta(minutes=a.minutes):
            return str(a.id)
    return None
