"""``rehab clinic refused``: the records the clinic refused for good, for a maintainer.

Lists the quarantine (``clinic/quarantine_schema.py``): device, record id, leaf, reason,
how many times, when, size and which rule failed; per reason at the end.
``--device D --record R --out FILE`` writes that record's payload as it was received
(0600: it is health data) to inspect or fix. The device keeps its copy, marked refused;
after a fix there ``rehab sync --retry-refused`` sends it again.

Registered by :mod:`rehab.commands.clinic` (this module has no ``register`` of its own).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rehab.errors import UsageError


def add_parsers(csub: Any, data_dir: Callable[[argparse.ArgumentParser], None]) -> None:
    q = csub.add_parser("refused", help="records the clinic refused (quarantine): list, or "
                        "write one's payload with --record and --out")
    q.add_argument("--device", help="only this device's")
    q.add_argument("--record", help="with --device and --out: this record's payload")
    q.add_argument("--out", type=Path, help="file for the payload (made 0600)")
    data_dir(q)
    q.set_defaults(func=refused_cmd)


def refused_cmd(args: argparse.Namespace) -> int:
    from clinic.quarantine import refused, refused_by_reason, refused_payload
    from rehab.commands.clinic import _cfg, open_clinic_store

    if (args.record is None) != (args.out is None) or (args.record and not args.device):
        raise UsageError("--record needs --device and --out (and --out needs --record)")
    store = open_clinic_store(_cfg(args), args)
    try:
        if args.record is not None:
            payload = refused_payload(store, args.device, args.record)
            if payload is None:
                raise UsageError(f"no refused record {args.record} from {args.device}")
            _write_private(args.out, payload)
            print(f"wrote {len(payload)} bytes to {args.out}")
            return 0
        rows = refused(store, args.device, limit=1000)
        for r in rows:
            print(f"{r.device}  {r.record_id}  {r.reason}  {r.leaf}  refused {r.refusals}x, "
                  f"first {r.first_at[:19]}, last {r.last_at[:19]}, {r.size_bytes} bytes: "
                  f"{r.detail}")
        per = refused_by_reason(store) if args.device is None else None
        total = len(rows)
        why = ", ".join(f"{k} {v}" for k, v in per.most_common()) if per else ""
        print(f"{total} refused record{'' if total == 1 else 's'}" + (f" ({why})" if why else ""))
        return 0
    finally:
        store.close()


def _write_private(path: Path, payload: bytes) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        os.chmod(path, 0o600)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from exc
