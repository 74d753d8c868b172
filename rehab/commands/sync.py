"""``rehab sync``: drain the outbox once (connect, send, wait for PUBACKs, exit)."""

from __future__ import annotations

import argparse
from typing import Any

from rehab.cli import UsageError
from rehab.commands.session import add_link_flags


def register(sub: Any) -> None:
    p = sub.add_parser("sync", help="send what waits in the outbox to the clinic, then exit")
    p.add_argument("--timeout", type=float, default=30.0,
                   help="give up after this many seconds (default 30)")
    add_link_flags(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mqtt.config import load_config
    from mqtt.device import DeviceLink
    from mqtt.errors import ConfigError
    from therapy.errors import PlanError
    from therapy.signing import clinic_key
    from therapy.store import TherapyStore

    try:
        cfg = load_config(args.data_dir, broker=args.broker, device=args.device,
                          clinic=args.clinic)
        clinic_key(cfg.clinic_public_key)  # a malformed key: one line naming it, exit 2
    except (ConfigError, PlanError) as exc:
        raise UsageError(str(exc)) from exc
    store = TherapyStore(cfg.data_dir / "rehab.db")
    before = store.outbox_count()
    link = DeviceLink(cfg, store)
    link.start()
    try:
        drained = link.wait_drained(args.timeout)
    finally:
        link.stop()
    left = store.outbox_count()
    store.close()
    print(f"sent {before - left} records; {left} wait in the outbox")
    if not drained:
        why = link.last_error or f"not drained within {args.timeout:g} s"
        print(f"sync incomplete: {why}")
        return 1
    return 0 if left == 0 else 1
