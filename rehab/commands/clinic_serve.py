"""``rehab clinic serve``: ingest + the web application in one process (clinic.serve).

Part of ``rehab clinic`` (``rehab/commands/clinic.py`` adds these parsers); no
``register`` here, so it is not a top-level command of its own.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from rehab.errors import UsageError

CHECK_WORKERS_MAX = 64
DESCRIPTION = (
    "One process runs ingest (MQTT 5, a shared subscription: several serve processes on one "
    "broker split the stream) and the therapists' web application at --listen (log in at "
    "/login; GET /healthz needs none; accounts: rehab clinic user add). --broker, --clinic "
    "and the broker login come from rehab.toml in --data-dir when not given. The store is "
    "clinic.db in --data-dir, or PostgreSQL with --db. Deploying: docs/clinic-server.md.")


def add_parsers(csub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    q = csub.add_parser("serve", help="run ingest (shared subscription) and the web "
                        "application; stop with SIGTERM or Ctrl-C", description=DESCRIPTION)
    q.add_argument("--listen", required=True, metavar="HOST:PORT",
                   help="web address, e.g. 127.0.0.1:8080 (port 0: a free one)")
    q.add_argument("--name", default="serve", help="this process's MQTT client name (one per "
                   "process on a broker without bound client ids; default: serve)")
    q.add_argument("--secure-cookies", action="store_true", help="mark the web cookies "
                   "Secure (the site is served over HTTPS by a proxy in front)")
    q.add_argument("--no-validate", action="store_true", help="skip FHIR validation")
    q.add_argument("--check-workers", default="auto", metavar="N|auto",
                   help="check records (JSON, FHIR validation) in N worker processes, so "
                   f"ingest uses more than one core (0-{CHECK_WORKERS_MAX}, 0: on the MQTT "
                   "thread); default auto: the cores less one, at most 4, none on fewer "
                   "than 3 cores")
    q.add_argument("--log-level", default="warning",
                   choices=("critical", "error", "warning", "info", "debug"))
    common(q)
    q.set_defaults(func=serve)


def check_workers(text: str) -> int:
    """``--check-workers``: a count 0..CHECK_WORKERS_MAX, or auto (clinic.check_pool)."""
    from clinic.check_pool import auto_workers

    if text == "auto":
        return auto_workers()
    if not text.isdigit() or not 0 <= int(text) <= CHECK_WORKERS_MAX:
        raise UsageError(f"--check-workers {text}: use 0..{CHECK_WORKERS_MAX} or auto "
                         "(the cores less one, at most 4)")
    return int(text)


def serve(args: argparse.Namespace) -> int:
    import logging

    from clinic.errors import ClinicError
    from clinic.link import ClinicWatcher, fhir_validator
    from clinic.serve import Listen, bind, make_app
    from clinic.serve import serve as run
    from mqtt.topics import valid_id
    from rehab.commands.clinic import _cfg, open_clinic_store

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s "
                        "%(levelname)s %(message)s")
    if not valid_id(args.name):
        raise UsageError(f"--name {args.name!r} must be 1-64 of A-Z a-z 0-9 _ . -")
    workers = check_workers(args.check_workers)
    cfg = _cfg(args)
    from clinic.visit import browser_ice, relay_factory

    try:
        ice = browser_ice(cfg.data_dir)  # [visit] STUN/TURN of the clinic's rehab.toml
        listen = Listen.parse(args.listen)
        sock = bind(listen)
    except ClinicError as exc:
        raise UsageError(str(exc)) from exc
    store = open_clinic_store(cfg, args)  # after the config's checks: a mistake makes no store
    try:
        watcher = ClinicWatcher(cfg.broker, cfg.clinic, store, client_name=args.name,
                                validate=None if args.no_validate else fhir_validator,
                                check_workers=workers)
        from clinic.web.sending import signing_key
        from rehab.commands.clinic import KEY_FILE

        key_file = cfg.data_dir / KEY_FILE
        visit = relay_factory(cfg.broker, cfg.clinic, lambda: signing_key(key_file),
                              client_name=f"{args.name}-visit")
        app = make_app(store, cfg.clinic, watcher, secure_cookies=args.secure_cookies,
                       key_file=key_file, visit=visit, ice=ice)
        run(watcher, app, sock, log_level=args.log_level,
            on_ready=lambda url: print(f"serving clinic {cfg.clinic} on {url} "
                                       f"(store: {store.where}; check workers: {workers})",
                                       flush=True))
    finally:
        sock.close()
        store.close()
    return 0
