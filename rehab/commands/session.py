"""``rehab session --exercise ID --source SOURCE``: one session, stored and sent.

SOURCE is ``sim`` (default), ``ble`` (the paired wearables), ``serial:PORT`` (the USB
bridge), ``video:FILE`` or ``camera[:N]`` (:mod:`therapy.sources`, which the kiosk opens
the same way); ``--sim EXERCISE`` is short for ``--exercise EXERCISE --source sim``.
The samples run through the real motion core and the same
:class:`~therapy.session.SessionController` the kiosk uses; a BLE set runs under the live
set supervisor (pause on a drop-out, resume, gaps stored with the set). A live source
streams until the target reps are done (plus a short grace) or ``--max-s``. The record is
stored with its outbox rows, then sent for at most ``--send-timeout`` seconds. Whatever is
not acknowledged stays in the outbox (``rehab sync`` or the kiosk sends it later); the
command still exits 0 and says how many records wait (``--json``: one summary object).
Each rep is journaled as it is confirmed (and printed, without ``--json``): a session a
kill or power cut interrupted (here or in the kiosk, which shares the store) is stored as
not completed when the next one starts (``therapy.drafts``; ``--json``: ``recovered``).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import math
import signal
import threading
import time
from typing import Any

from rehab.cli import UsageError

log = logging.getLogger(__name__)
MAX_SEED = 2**63 - 1  # the simulator's seed range (numpy refuses negative seeds)
MAX_SEND_TIMEOUT_S = 3600.0
DEFAULT_MAX_S = 600.0
DESCRIPTION = (
    "One exercise session on a source, stored and sent. SOURCE: sim (the default), ble (the "
    "paired wearables, supervised: a drop-out pauses the set, the gap is stored with it), "
    "serial:PORT (the USB bridge: /dev/rehab-imu0 on a kiosk), video:FILE, camera[:N], a "
    "wearable source and a camera fused (ble+camera, sim+video:FILE), or auto (what the "
    "kiosk picks). A live source ends 2 s after the target rep or at --max-s. Each rep is "
    "printed as it is confirmed (and journaled: a session a kill or power cut interrupted is "
    "stored as not completed when the next one starts). What the clinic has not "
    "acknowledged within --send-timeout stays in the outbox for rehab sync or the kiosk; the "
    "command still exits 0.")
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
MAX_SET_S = 3600.0


def add_link_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--broker", help="mqtt://host[:port] or mqtts://user:pass@host[:port]")
    p.add_argument("--device", help="this device's opaque id")
    p.add_argument("--clinic", help="the clinic's opaque id")
    p.add_argument("--data-dir", help="state folder (default: per-user data dir; "
                   "/var/lib/rehab under systemd)")


def register(sub: Any) -> None:
    p = sub.add_parser("session", help="run one exercise session on a source, store and send it",
                       description=DESCRIPTION)
    p.add_argument("--exercise", metavar="ID", help="catalogue exercise (e.g. heel_slide)")
    p.add_argument("--source", default=None, metavar="SOURCE",
                   help="sim (default), ble, serial:PORT, video:FILE or camera[:N]; auto: what "
                   "the kiosk picks (paired wearables, else /dev/rehab-imu*, else sim); a wearable "
                   "source and a camera fused: ble+camera, sim+video:FILE")
    p.add_argument("--sim", metavar="EXERCISE",
                   help="short for --exercise EXERCISE --source sim")
    p.add_argument("--reps", type=int, default=10, help="repetitions to perform (default 10)")
    p.add_argument("--pain-before", type=int, metavar="P", help="pain 0-10 before the session")
    p.add_argument("--pain-after", type=int, metavar="Q", help="pain 0-10 after the session")
    p.add_argument("--note", default="", help="free-text note with the pain-after report")
    p.add_argument("--side", default=None, help="left|right|both (default: plan or right)")
    p.add_argument("--two-imu", action="store_true", help="a proximal wearable too (sim, ble)")
    p.add_argument("--seed", type=int, default=0, help="simulation seed")
    p.add_argument("--realtime", type=float, default=0.0, metavar="SPEED",
                   help="sim: stream at SPEED x real time (default: as fast as possible); "
                   "serial, virtual ble: the device's clock runs SPEED x (default 1)")
    p.add_argument("--max-s", type=float, default=DEFAULT_MAX_S, metavar="S",
                   help=f"a live source's set ends after S seconds at most "
                   f"(default {DEFAULT_MAX_S:g})")
    p.add_argument("--virtual", action="store_true",
                   help="ble: virtual wearables (bumble) at the paired addresses play the "
                   "exercise; no radio needed (a demo, as `rehab pair --virtual`)")
    p.add_argument("--virtual-away", metavar="SEGMENT:AT:FOR",
                   help="with --virtual: the wearable on SEGMENT walks away AT s after "
                   "connecting, for FOR s")
    p.add_argument("--json", action="store_true", help="print the session summary as JSON")
    p.add_argument("--send-timeout", type=float, default=10.0,
                   help="seconds to wait for the clinic link (default 10)")
    add_link_flags(p)
    p.set_defaults(func=run)


def _source(args: argparse.Namespace) -> tuple[str, Any]:
    """(exercise id, parsed source or None for ``auto``) from --exercise/--source/--sim;
    a usage error else."""
    from therapy.sources import SourceKind, SourceSpecError, parse_source

    if args.sim is not None:
        if args.exercise is not None or args.source not in (None, "sim"):
            raise UsageError("--sim EXERCISE is short for --exercise EXERCISE --source sim: "
                             "give one or the other")
        return args.sim, parse_source("sim")
    if args.exercise is None:
        raise UsageError("name the exercise: --exercise ID (or --sim ID)")
    if args.source == "auto":  # resolved against the store once it is open
        return args.exercise, None
    try:
        spec = parse_source(args.source or "sim")
    except SourceSpecError as exc:
        raise UsageError(f"--source: {exc}") from exc
    if (args.virtual or args.virtual_away) and spec.kind != SourceKind.BLE:
        raise UsageError("--virtual and --virtual-away are for --source ble")
    if args.virtual_away and not args.virtual:
        raise UsageError("--virtual-away needs --virtual")
    return args.exercise, spec


def _away(text: str | None) -> tuple[str, float, float] | None:
    if text is None:
        return None
    seg, at, dur = (text.split(":") + ["", ""])[:3]
    try:
        at_s, for_s = float(at), float(dur)
    except ValueError:
        at_s = for_s = math.nan
    if not (seg and math.isfinite(at_s) and math.isfinite(for_s) and at_s >= 0 < for_s):
        raise UsageError(f"--virtual-away wants SEGMENT:AT:FOR (seconds), e.g. thigh:2:1.5; "
                         f"got {text!r}")
    return seg.lower(), at_s, for_s


def run(args: argparse.Namespace) -> int:
    from mqtt.config import load_config
    from mqtt.errors import ConfigError
    from therapy.errors import PlanError
    from therapy.signing import clinic_key

    args.exercise, args.spec = _source(args)
    _away(args.virtual_away)
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
    if not (math.isfinite(args.max_s) and 0 < args.max_s <= MAX_SET_S):
        raise UsageError(f"--max-s must be 0..{MAX_SET_S:g} s, got {args.max_s}")
    if not (math.isfinite(args.send_timeout) and 0 <= args.send_timeout <= MAX_SEND_TIMEOUT_S):
        raise UsageError(f"--send-timeout must be 0..{MAX_SEND_TIMEOUT_S:g} s, "
                         f"got {args.send_timeout}")
    try:
        cfg = load_config(args.data_dir, broker=args.broker, device=args.device,
                          clinic=args.clinic, require_device=False)
        clinic_key(cfg.clinic_public_key)  # a malformed key: one line naming it, exit 2
        return asyncio.run(_session(args, cfg))
    except (ConfigError, PlanError) as exc:
        raise UsageError(str(exc)) from exc


def _plan_exercise(args: argparse.Namespace, store: Any) -> tuple[Any, int | None]:
    from therapy.plan import Side, exercise_from_catalogue

    current = store.current_plan()
    plan_version = None
    try:
        ex = current[0].exercise(args.exercise) if current else None
        plan_version = current[0].version if current else None
    except KeyError:
        ex = None
    ex = ex or exercise_from_catalogue(args.exercise)
    side = Side(args.side) if args.side else ex.side
    return dataclasses.replace(ex, reps=args.reps, sets=1, side=side), plan_version


async def _virtual_world(args: argparse.Namespace, ex: Any, store: Any, clock: Any) -> Any:
    """Virtual wearables at the paired addresses of the segments ``ex`` needs."""
    try:
        from sensors.ble.virtual.world import VirtualWearables
    except ImportError as exc:
        raise UsageError("--virtual needs bumble: pip install -e '.[test]'") from exc
    from sensors.sim import SimConfig, simulate
    from therapy.devices import WearableRegistry
    from therapy.sources import segments_for

    distal, proximal = segments_for(ex, args.two_imu)
    sim = simulate(SimConfig(exercise_id=ex.exercise_id, reps=args.reps, seed=args.seed,
                             two_segment=proximal is not None, drop_prob=0.0))
    paired = {r[3]: r for r in WearableRegistry(store).all()}
    world = VirtualWearables(clock)
    for seg, motion in ((distal, sim.distal), (proximal, sim.proximal)):
        if seg is not None and seg in paired and motion is not None:
            if paired[seg][2] != "rehab_imu":
                raise UsageError(f"--virtual plays rehab_imu wearables; the {seg} one is "
                                 f"{paired[seg][2]}")
            battery = paired[seg][5]
            await world.add(paired[seg][0], seg, motion, 80 if battery is None else battery)
    return world


async def _session(args: argparse.Namespace, cfg: Any) -> int:
    from mqtt.config import OFFLINE_DEVICE_ID
    from mqtt.device import DeviceLink
    from mqtt.offline_link import OfflineLink
    from protocol.clock import MonotonicClock, ScaledClock
    from therapy.devices import WearableRegistry
    from therapy.drafts import DraftJournal
    from therapy.ports import FhirEncoder
    from therapy.session import SessionController
    from therapy.set_end import LiveSetEnd
    from therapy.sources import SourceOptions, SourceUnavailable, open_sources, pick_source
    from therapy.store import TherapyStore

    away = _away(args.virtual_away)
    store = TherapyStore(cfg.data_dir / "rehab.db")
    closers: list[Any] = []
    link: Any = None
    try:
        say = (lambda *a: None) if args.json else print
        device = cfg.device or OFFLINE_DEVICE_ID
        recovered = recover_interrupted(store, device, say)
        ex, plan_version = _plan_exercise(args, store)
        spec = args.spec or pick_source(store, ex=ex)  # the kiosk's rule (a camera exercise)
        if args.virtual and spec.kind != "ble":
            raise UsageError(f"--virtual is for --source ble; auto picked {spec}")
        clock = ScaledClock(args.realtime) if args.realtime > 0 else MonotonicClock()
        opts = SourceOptions(two_imu=args.two_imu, seed=args.seed, speed=args.realtime,
                             clock=clock)
        world = None
        if args.virtual:
            world = await _virtual_world(args, ex, store, clock)
            closers.append(world.close)
            opts = dataclasses.replace(opts, ble_connector=world.connector)
        try:
            sources = open_sources(spec, ex, store, opts)
        except SourceUnavailable as exc:
            raise UsageError(str(exc)) from exc
        closers.insert(0, sources.aclose)
        link = DeviceLink(cfg, store) if cfg.device else OfflineLink()
        link.start()
        ctl = SessionController(ex, sink=store, encoder=FhirEncoder(device),
                                plan_version=plan_version, journal=DraftJournal(store))
        ctl.add_listener(link.live_listener)
        if recovered.stored:
            link.notify_outbox()
        if not args.json:
            ctl.add_listener(_print_rep)
        appointment = _due_appointment(store, ctl.clock.now())
        if appointment is not None:
            ctl.appointment_id = appointment
            link.wait_connected(min(args.send_timeout, 2.0))
            link.start_appointment(appointment, ctl.session_id)
        if args.pain_before is not None:
            ctl.set_pain_before(args.pain_before)
        live = sources.supervise(ctl, clock)
        # a live source ends at the target or --max-s; any set ends early on Ctrl-C or
        # SIGTERM, and what was done is stored (not lost with a KeyboardInterrupt)
        ender = LiveSetEnd(sources, args.reps if spec.live else 0, max_s=args.max_s)
        ctl.add_listener(ender)
        if spec.live:
            ender.start()
        loop = asyncio.get_running_loop()
        signals = STOP_SIGNALS if threading.current_thread() is threading.main_thread() else ()
        for sig in signals:
            loop.add_signal_handler(sig, ender.end, "interrupted")
        walk = None
        if world is not None and away is not None:
            walk = asyncio.ensure_future(_walk_away(world, sources, *away))
        try:
            await ctl.run_set(sources.distal, sources.proximal, camera=sources.camera)
        finally:
            ender.cancel()
            for sig in signals:
                loop.remove_signal_handler(sig)
            if walk is not None:
                walk.cancel()
        gaps = []
        if live is not None:
            gaps = await live.close(WearableRegistry(store), ctl.session_id, ctl.set_no)
        silence = sources.silence()
        if silence:  # nothing was measured: no empty session goes to the clinic
            ctl.drop_draft()
            raise UsageError(f"{silence}; nothing stored")
        rec = ctl.finish(pain_after=args.pain_after, note=args.note)
        link.notify_outbox()
        rom = f"{rec.mean_rom_deg:.1f} deg" if rec.mean_rom_deg is not None else "-"
        say(f"session {rec.id}: {ex.exercise_id} {rec.rep_count}/{args.reps} reps, "
            f"mean ROM {rom}, stored")
        for gap in gaps:
            back = "never came back" if gap.end_s is None else f"{gap.duration_s:.1f} s"
            say(f"{gap.segment} sensor away {back} ({gap.reason})")
        camera = _camera_warnings(sources)  # how a camera saw the patient: said, and in --json
        for warning in camera:
            say(warning)
        t0 = time.monotonic()
        await asyncio.to_thread(link.wait_drained, args.send_timeout)
        waiting = store.outbox_count()
        if waiting:
            why = f" ({link.last_error})" if link.last_error else ""
            what = "1 record waits" if waiting == 1 else f"{waiting} records wait"
            say(f"{what} in the outbox{why}")
        else:
            say(f"all records sent in {time.monotonic() - t0:.1f} s; 0 records wait")
        if args.json:
            print(json.dumps(_summary(rec, spec, sources, live, ender, waiting, camera)
                             | {"recovered": [r.id for r in recovered.stored]}))
        return 0
    finally:
        for close in closers:
            await close()
        if link is not None:
            link.stop()
        store.close()


def recover_interrupted(store: Any, device: str, say: Any) -> Any:
    """Sessions a kill or power cut interrupted (drafts whose process is gone), stored as not
    completed with their outbox rows (``rehab session``, ``rehab sync``); ``say`` gets one
    line for each stored or kept aside. Returns the ``therapy.drafts.Recovery``."""
    from therapy.drafts import recover_drafts
    from therapy.ports import FhirEncoder

    got = recover_drafts(store, FhirEncoder(device))
    for rec in got.stored:
        say(f"interrupted session {rec.id}: {rec.exercise_id} {rec.rep_count} reps kept "
            f"as not completed")
    for sid, why in got.quarantined:
        say(f"interrupted session {sid} cannot be read, kept aside: {why}")
    return got


def _print_rep(ev: Any) -> None:
    """Each rep as it is confirmed (already in the journal: a kill now keeps it), and, with
    a camera fused, its ROM again once measured: what the stored rep keeps and from where."""
    if ev.kind == "rep" and ev.rep is not None:
        print(f"rep {ev.rep.n} of set {ev.set_no}: {ev.rep.rom_deg:.1f} deg", flush=True)
    elif ev.kind == "rep_measured" and ev.rep is not None:
        where = ev.extra.get("source", "") if isinstance(ev.extra, dict) else ""
        print(f"rep {ev.rep.n} of set {ev.set_no} measured: {ev.rep.rom_deg:.1f} deg"
              + (f" ({where})" if where else ""), flush=True)


async def _walk_away(world: Any, sources: Any, segment: str, at_s: float,
                     for_s: float) -> None:
    """The scripted walk-away of ``--virtual-away``, once every link is streaming."""
    if segment not in world.devices:
        log.warning("--virtual-away: no virtual wearable on the %s", segment)
        return
    while not all(lk.connected for lk in sources.links):
        await asyncio.sleep(0.02)
    await world.walk_away(segment, at_s, for_s)


def _summary(rec: Any, spec: Any, sources: Any, live: Any, ender: Any,
             waiting: int, camera: list[str]) -> dict[str, Any]:
    from therapy.sources import placement_rows

    actions = live.actions_ if live is not None else []
    return {
        "session": rec.id, "exercise": rec.exercise_id, "source": str(spec),
        "placements": list(placement_rows(sources)),
        "count": rec.rep_count, "target_reps": rec.target_reps, "completed": rec.completed,
        "mean_rom_deg": None if rec.mean_rom_deg is None else round(rec.mean_rom_deg, 2),
        "reps": [r.to_json() for r in rec.reps],
        "ended_by": ender.reason_ or (live.supervisor.end_reason_ if live is not None
                                      and live.supervisor.ended_ else "") or "source end",
        "pauses": sum(1 for a in actions if a.kind == "pause"),
        "resumes": sum(1 for a in actions if a.kind == "resume"),
        "warnings": [a.message for a in actions if a.kind == "warn"] + camera,
        "gaps": [_gap_json(g, rec.started_at) for g in rec.gaps],
        "outbox_waiting": waiting,
    }


def _gap_json(g: Any, session_start: Any) -> dict[str, Any]:
    """A stored outage for ``--json``: ``start_s``/``end_s`` in seconds from the session's
    start, as the reps' ``t_start_s`` (the supervisor's own clock is the host's monotonic
    one: its 29795.2 s beside reps at 2.4 s read as nothing); None where not known."""
    start = None if g.started_at is None else round(
        (g.started_at - session_start).total_seconds(), 3)
    end = None if start is None or g.end_s is None else round(start + g.end_s - g.start_s, 3)
    return {"set": g.set_no, "sensor_id": g.sensor_id, "segment": g.segment,
            "start_s": start, "end_s": end, "reason": g.reason}


def _camera_warnings(sources: Any) -> list[str]:
    """How the set's camera saw the patient (``sensors.camera.stream.view_warnings``), from
    its source's angle stream; none without a camera (nor the camera package loaded)."""
    streams = [st for src in (sources.distal, sources.camera)
               if (st := getattr(src, "stream", None)) is not None]
    if not streams:
        return []
    from sensors.camera.stream import view_warnings

    return [w for st in streams for w in view_warnings(st)]


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
