"""``rehab pair``: scan for wearables, show RSSI and battery, assign body placements, remember.

Interactive by default (asks a placement for each wearable found); ``--assign
ADDRESS=SEGMENT`` does it without questions; ``--list`` and ``--forget`` manage what is
remembered in ``<data-dir>/rehab.db``. ``--virtual N`` pairs N virtual wearables (bumble,
the ``test`` extra) instead of scanning BlueZ: a demo and test path with no radio.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from rehab.cli import UsageError


def register(sub: Any) -> None:
    p = sub.add_parser("pair", help="pair BLE wearables: scan, assign body placements, remember",
                       description=__doc__)
    p.add_argument("--data-dir",
                   help="kiosk data folder holding rehab.db (default: as rehab kiosk, the "
                        "per-user data dir; /var/lib/rehab under systemd)")
    p.add_argument("--scan-s", type=float, default=5.0, help="scan for S seconds")
    p.add_argument("--assign", action="append", default=[], metavar="ADDRESS=SEGMENT",
                   help="pair without questions (repeatable), e.g. AA:BB:..:01=thigh")
    p.add_argument("--list", action="store_true", help="show the remembered wearables")
    p.add_argument("--forget", metavar="ADDRESS", help="forget one wearable")
    p.add_argument("--no-battery", action="store_true", help="do not connect to read batteries")
    p.add_argument("--adapter", default=None, help="BlueZ adapter (default: the first, hci0)")
    p.add_argument("--virtual", type=int, default=0, metavar="N",
                   help="pair N virtual wearables instead of scanning (no radio needed)")
    p.set_defaults(func=run)


def _segment(name: str) -> Any:
    from sensors.types import BodySegment

    try:
        return BodySegment(name.strip().lower())
    except ValueError:
        known = ", ".join(s.value for s in BodySegment if s != BodySegment.UNKNOWN)
        raise UsageError(f"unknown body placement {name!r}; one of: {known}") from None


def _parse_assign(items: list[str]) -> dict[str, Any]:
    out = {}
    for item in items:
        address, sep, seg = item.rpartition("=")
        if not sep or not address:
            raise UsageError(f"--assign wants ADDRESS=SEGMENT, got {item!r}")
        out[address.upper()] = _segment(seg)
    return out


def _registry(data_dir: str | None) -> Any:
    """The kiosk's registry: the same folder ``rehab kiosk`` and ``rehab session`` use, so
    what is paired here is what they pick (``mqtt.config.default_data_dir``)."""
    from mqtt.config import default_data_dir
    from therapy.devices import WearableRegistry
    from therapy.store import TherapyStore

    folder = Path(data_dir) if data_dir else default_data_dir()
    return WearableRegistry(TherapyStore(folder / "rehab.db"))


def run(args: argparse.Namespace) -> int:
    registry = _registry(args.data_dir)
    if args.forget:
        address = args.forget.upper()
        if address not in {row[0].upper() for row in registry.all()}:
            raise UsageError(f"{address} is not paired here (`rehab pair --list` shows what "
                             "is)")
        registry.forget(address)
        print(f"forgot {address}")
        return 0
    if args.list:
        _print_remembered(registry)
        return 0
    assign = _parse_assign(args.assign)
    return asyncio.run(_pair(args, registry, assign))


def _print_remembered(registry: Any) -> None:
    rows = registry.all()
    if not rows:
        print("no wearables paired")
    for address, name, kind, segment, paired_at, battery in rows:
        batt = "?" if battery is None else f"{battery} %"
        print(f"{segment:<10} {name:<16} {address}  {kind:<10} battery {batt:>5}  "
              f"paired {paired_at[:16]}")


async def _pair(args: argparse.Namespace, registry: Any, assign: dict[str, Any]) -> int:
    from sensors.ble.errors import BleError
    from sensors.ble.pairing import discover, remember

    closers: list[Any] = []
    if args.virtual:
        scanner, connector, closers = await _virtual(args.virtual)
    else:
        from sensors.ble.bluez import BlueZScanner
        from sensors.ble.connector import BleakConnector

        scanner, connector = BlueZScanner(args.adapter), BleakConnector()
    try:
        print(f"scanning {args.scan_s:g} s ...", flush=True)
        found = await discover(scanner, args.scan_s,
                               None if args.no_battery else connector)
    except BleError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        for close in closers:
            await close()
    if not found:
        print("no wearables found: switch them on and bring them within 2 m")
        return 1
    print(f"{'#':>2}  {'name':<16} {'address':<17}  {'kind':<10} {'RSSI':>5}  battery")
    for i, f in enumerate(found, 1):
        batt = "?" if f.battery_pct is None else f"{f.battery_pct} %"
        low = "  LOW: charge it" if f.battery_pct is not None and f.battery_pct < 15 else ""
        print(f"{i:>2}  {f.advert.name:<16} {f.advert.address:<17}  {f.kind:<10} "
              f"{f.advert.rssi:>4}  {batt:>7}{low}")
    paired = 0
    for i, f in enumerate(found, 1):
        segment = assign.get(f.advert.address.upper())
        if segment is None and not assign:
            try:
                answer = input(f"placement for #{i} {f.advert.name} (thigh, shank, ...; "
                               "empty to skip): ").strip()
            except EOFError:  # no terminal (a script, a pipe that ended)
                raise UsageError("no answer to the placement question: without a terminal "
                                 "pass --assign ADDRESS=SEGMENT for each wearable (addresses "
                                 "above)") from None
            segment = _segment(answer) if answer else None
        if segment is not None:
            w = remember(registry, f, segment)
            paired += 1
            print(f"paired {w.name} ({w.address}) on the {w.segment}")
    missing = set(assign) - {f.advert.address.upper() for f in found}
    if missing:
        raise UsageError(f"not found in the scan: {', '.join(sorted(missing))}")
    if paired and args.virtual:
        print("these wearables are virtual: they play only where they are asked for, "
              "`rehab session --source ble --virtual` (the kiosk and --source auto look for "
              "real ones at these addresses: `rehab pair --forget ADDRESS` removes them)")
    return 0 if paired else 1


async def _virtual(n: int) -> tuple[Any, Any, list[Any]]:
    try:
        from sensors.ble.virtual import (
            BumbleBleakBackend,
            BumbleScanner,
            VirtualAir,
            VirtualRehabImu,
        )
    except ImportError as exc:
        raise UsageError("--virtual needs bumble: pip install -e '.[test]'") from exc
    from protocol.clock import MonotonicClock
    from sensors.ble.connector import BleakConnector, plain_resolve
    from sensors.sim import SimConfig, simulate

    air = VirtualAir()
    motion = simulate(SimConfig(reps=1, drop_prob=0.0)).distal
    devs = [VirtualRehabImu(air, f"F1:00:00:00:00:{i + 1:02X}", motion, MonotonicClock(),
                            device_id=0x5EED_0000_0000_0000 + i + 1, battery_pct=90 - 40 * i)
            for i in range(n)]
    for d in devs:
        await d.start()
    connector = BleakConnector(backend=BumbleBleakBackend, resolve=plain_resolve,
                               bumble_air=air, max_attempts=1)
    return BumbleScanner(air), connector, [d.close for d in devs]
