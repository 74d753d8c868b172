"""``rehab sync``: drain the outbox once (connect, send, wait for the clinic's receipts, exit).

A record leaves the outbox only when the clinic confirms it has stored it; the broker's
acknowledgement alone does not count (docs/clinic-link.md, "Delivery contract"). Records the
clinic refused for good stay on the device, marked, and are listed; ``--retry-refused``
sends them again (after a fix at the clinic). First, as the kiosk's start does, a session a
crash, kill or power cut interrupted (the journal of a process now gone) is stored as not
completed with its outbox rows, so it is sent too; a running kiosk's own is left alone.
What the clinic queued at the broker for the device (a plan, messages) arrives during the
sync and is applied; what that adds to the outbox is sent too. Prints the plan version the
device now holds. Exit 0 when nothing waits, 1 when records still wait for the clinic's
receipt or the clinic refused some.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from rehab.cli import UsageError
from rehab.commands.session import add_link_flags, recover_interrupted


def register(sub: Any) -> None:
    p = sub.add_parser("sync", help="send what waits in the outbox to the clinic, then exit",
                       description=__doc__)
    p.add_argument("--timeout", type=float, default=30.0,
                   help="wait at most this many seconds for the clinic's receipts "
                        "(default 30)")
    p.add_argument("--retry-refused", action="store_true",
                   help="send the records the clinic refused again (after a fix there)")
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
    from therapy.outbox_refusals import requeue_refused

    store = TherapyStore(cfg.data_dir / "rehab.db")
    recover_interrupted(store, cfg.device, print)  # a kiosk that crashed and never restarted
    if args.retry_refused:
        n = requeue_refused(store)
        print(f"requeued {n} refused record{'' if n == 1 else 's'}")
    link = DeviceLink(cfg, store)
    link.start()
    try:
        drained = drain(link, args.timeout)
    finally:
        link.stop()
    left = store.outbox_count()
    refusals = refused_lines(store)
    plan = store.current_plan()
    store.close()
    stats = link.drainer.stats
    print(f"sent {stats.deleted} records; {left} wait for the clinic's receipt "
          f"(published {stats.published}, resent {stats.resent}, "
          f"no subscriber at the broker {stats.unrouted}, confirmed {stats.receipts}, "
          f"refused {stats.clinic_refused})")
    print(f"plan version {plan[0].version}, valid until {plan[0].valid_until:%Y-%m-%d}"
          if plan is not None else "no plan from the clinic yet")
    for line in refusals:
        print(line)
    if not drained or left:
        if link.last_error:
            why = link.last_error
        elif stats.published:
            why = (f"the clinic has not confirmed {left} records within {args.timeout:g} s; "
                   "they stay in the outbox and are sent again (is the clinic's "
                   "`rehab clinic watch` running?)")
        else:
            why = f"nothing could be sent within {args.timeout:g} s (broker unreachable?)"
        print(f"sync incomplete: {why}")
        return 1
    return 1 if refusals else 0


SETTLE_S = 0.5  # after the drain: the clinic's queued plans and messages have come in


def drain(link: Any, timeout_s: float) -> bool:
    """Send until the clinic has confirmed everything, what the downlink adds included.

    The broker delivers what it queued for the device (a plan, messages) once the device's
    subscriptions are acknowledged; applying them adds rows to the outbox (the plan's
    receipt). So the drain starts after the SUBACK and, once the outbox is empty, waits a
    moment and drains again what came in meanwhile."""
    deadline = time.monotonic() + timeout_s

    def left() -> float:
        return max(0.0, deadline - time.monotonic())

    link.wait_subscribed(left())
    if not link.wait_drained(left()):
        return False
    time.sleep(min(SETTLE_S, left()))
    return bool(link.wait_drained(left()))


def refused_lines(store: Any, shown: int = 20) -> list[str]:
    """What the clinic refused for good, one line each (``rehab sync``, ``rehab doctor``)."""
    from therapy.outbox_refusals import refused_count, refused_rows

    n = refused_count(store)
    if not n:
        return []
    lines = [f"{n} record{'' if n == 1 else 's'} the clinic refused, kept here: call your "
             "clinic; after their fix, `rehab sync --retry-refused` sends them again"]
    lines += [f"  {r.record_id} ({r.code}, refused {r.refused_at}, {r.channel}, "
              f"{r.size_bytes} bytes)" for r in refused_rows(store, shown)]
    if n > shown:
        lines.append(f"  ... and {n - shown} more")
    return lines
