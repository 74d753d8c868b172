"""``rehab clinic ...``: the clinic-side tools (keys, plans, watch, report, messages).

All read ``rehab.toml`` in ``--data-dir`` (broker, username/password, clinic) and keep
their state there: ``clinic_ed25519.key`` (private, 0600), ``clinic_ed25519.pub`` and
``clinic.db`` (records received by ``watch``).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rehab.cli import UsageError

KEY_FILE = "clinic_ed25519.key"
PUB_FILE = "clinic_ed25519.pub"


def register(sub: Any) -> None:
    p = sub.add_parser("clinic", help="clinic-side tools: keygen, plan push, watch, report, "
                       "message, appoint, user, token, refused")
    csub = p.add_subparsers(dest="clinic_cmd", metavar="ACTION", required=True)

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("--broker", help="mqtt://host[:port] or mqtts://user:pass@host[:port]")
        q.add_argument("--clinic", help="the clinic's opaque id")
        q.add_argument("--data-dir", help="clinic state folder (keys, clinic.db, rehab.toml)")
        db_option(q)

    q = csub.add_parser("keygen", help="make the clinic's Ed25519 signing key pair (plans, "
                        "messages, appointments)")
    q.add_argument("--data-dir", help="clinic state folder: the key pair is written there")
    q.add_argument("--force", action="store_true", help="replace an existing key")
    q.set_defaults(func=keygen)

    q = csub.add_parser("plan", help="plans: push")
    psub = q.add_subparsers(dest="plan_cmd", metavar="ACTION", required=True)
    q = psub.add_parser("push", help="validate, sign and publish a plan (retained)")
    q.add_argument("--device", required=True, help="the device's opaque id")
    q.add_argument("plan", type=Path, metavar="PLAN.json",
                   help="the plan (therapy/plan.py; docs/clinic-link.md, Signed envelopes)")
    common(q)
    q.set_defaults(func=plan_push)

    q = csub.add_parser("watch", help="live table of devices, sessions and reps; stores records")
    q.add_argument("--duration", type=float, default=0.0, help="stop after S seconds")
    q.add_argument("--plain", action="store_true", help="log lines instead of a live table")
    q.add_argument("--no-validate", action="store_true", help="skip FHIR validation")
    common(q)
    q.set_defaults(func=watch)

    q = csub.add_parser("report", help="per-patient progress chart (.png or .html)")
    q.add_argument("--device", required=True, help="the device's opaque id")
    q.add_argument("--out", required=True, type=Path,
                   help="the chart: FILE.png, or FILE.html (the chart in a page)")
    q.add_argument("--data-dir", help="clinic state folder (clinic.db, rehab.toml)")
    db_option(q)
    q.set_defaults(func=report)

    q = csub.add_parser("message", help="send a message to the patient")
    q.add_argument("--device", required=True, help="the device's opaque id")
    q.add_argument("text", help="the message (at most 4,000 characters)")
    common(q)
    q.set_defaults(func=message)

    q = csub.add_parser("appoint", help="schedule a live session")
    q.add_argument("--device", required=True, help="the device's opaque id")
    q.add_argument("--at", required=True, help="ISO 8601 start time with time zone")
    q.add_argument("--minutes", type=int, required=True, help="length, 1 to 600 minutes")
    common(q)
    q.set_defaults(func=appoint)

    from rehab.commands.clinic_serve import add_parsers as add_serve

    add_serve(csub, common)

    from rehab.commands.clinic_accounts import add_parsers  # user, token (web application)

    def data_dir(q: argparse.ArgumentParser) -> None:
        q.add_argument("--data-dir", help="clinic state folder (clinic.db, rehab.toml)")
        db_option(q)

    add_parsers(csub, data_dir)

    from rehab.commands.clinic_refused import add_parsers as add_refused  # quarantine

    add_refused(csub, data_dir)


def db_option(q: argparse.ArgumentParser) -> None:
    q.add_argument("--db", metavar="URL", help="clinic store: postgresql://user@host/db "
                   "(several serve processes share it); default: db in the data dir's "
                   "rehab.toml, else clinic.db in --data-dir")


def configured_db(data_dir: Path) -> str | None:
    """``db`` of the clinic's ``rehab.toml`` (the store every clinic command opens when no
    ``--db`` is given, so ``user add`` and ``plan push`` reach serve's PostgreSQL)."""
    from mqtt.config import config_file
    from mqtt.errors import ConfigError

    try:
        path, file = config_file(Path(data_dir))
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc
    value = file.get("db")
    if value is not None and not isinstance(value, str):
        raise UsageError(f"{path}: db must be a string (a postgresql:// or sqlite:/// URL)")
    return value or None


def open_clinic_store(cfg: Any, args: argparse.Namespace) -> Any:
    """The store ``--db`` names, else ``db`` in the data dir's ``rehab.toml``, else SQLite
    in the data dir (a new one said on stderr: on a PostgreSQL clinic, a tool run without
    the store's URL would otherwise quietly keep its change apart); errors exit 2."""
    from clinic.errors import StoreError
    from clinic.store import DB_FILE, open_store

    db = getattr(args, "db", None) or configured_db(cfg.data_dir)
    if not db and not (Path(cfg.data_dir) / DB_FILE).exists():
        print(f"rehab clinic: no store in {cfg.data_dir} yet: making {DB_FILE} (SQLite); a "
              "clinic on PostgreSQL sets db in its rehab.toml or passes --db", file=sys.stderr)
    try:
        return open_store(cfg.data_dir, db)
    except StoreError as exc:
        raise UsageError(str(exc)) from exc


def _cfg(args: argparse.Namespace) -> Any:
    from mqtt.config import load_config
    from mqtt.errors import ConfigError

    try:
        return load_config(getattr(args, "data_dir", None), broker=getattr(args, "broker", None),
                           clinic=getattr(args, "clinic", None), require_device=False)
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc


def _device(device: str) -> str:
    from mqtt.topics import valid_id

    if not valid_id(device):
        raise UsageError(f"device id {device!r} must be 1-64 of A-Z a-z 0-9 _ . -")
    return device


def _publish(cfg: Any, device: str, leaf: str, payload: bytes | str,
             retain: bool = False) -> None:
    from clinic.link import publish_once
    from mqtt.errors import LinkError
    from mqtt.topics import Topics

    topic = Topics(cfg.clinic, _device(device)).topic(leaf)
    try:
        publish_once(cfg.broker, f"rehab-clinic-{cfg.clinic}-tool-{time.time_ns() % 10**9}",
                     topic, payload, retain=retain)
    except LinkError as exc:
        raise UsageError(str(exc)) from exc


def keygen(args: argparse.Namespace) -> int:
    from therapy.signing import new_private_key, private_key_to_b64, public_key_to_b64

    from therapy.private_files import DataDirError, private_dir

    try:
        ddir = private_dir(_cfg(args).data_dir)  # 0700 whatever the umask
    except DataDirError as exc:
        raise UsageError(str(exc)) from exc
    key_path = ddir / KEY_FILE
    if key_path.exists() and not args.force:
        raise UsageError(f"{key_path} exists; pass --force to replace it (devices then need "
                         "the new public key)")
    key = new_private_key()
    key_path.touch(mode=0o600)
    key_path.chmod(0o600)
    key_path.write_text(private_key_to_b64(key) + "\n")
    pub = public_key_to_b64(key.public_key())
    (ddir / PUB_FILE).write_text(pub + "\n")
    print(f"private key: {key_path}")
    print(f'put this line in each device\'s rehab.toml:\nclinic_public_key = "{pub}"')
    return 0


def _signing_key(cfg: Any) -> Any:
    from therapy.errors import PlanError
    from therapy.signing import private_key_from_b64

    path = cfg.data_dir / KEY_FILE
    try:
        return private_key_from_b64(path.read_text())
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror} (run `rehab clinic keygen` first)") from exc
    except (PlanError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not a clinic signing key (make one with `rehab clinic "
                         "keygen --force`)") from exc


def _version_step(store: Any, device: str, version: int) -> None:
    """Refuse what the device would refuse as a version jump (therapy.signing)."""
    from therapy.errors import PlanError
    from therapy.plan import parse_plan_bytes
    from therapy.signing import MAX_VERSION_STEP

    last_text = store.latest_plan(device)
    try:
        last = parse_plan_bytes(last_text).version if last_text else 0
    except PlanError:  # an old row this version refuses: the device skips it too
        last = 0
    if version - last > MAX_VERSION_STEP:
        raise UsageError(f"version {version} is more than {MAX_VERSION_STEP} above the last "
                         f"version pushed to {device} ({last}); devices refuse such a jump")


def plan_push(args: argparse.Namespace) -> int:
    from therapy.errors import PlanError
    from therapy.plan import parse_plan_bytes
    from therapy.signing import seal

    cfg = _cfg(args)
    device = _device(args.device)
    try:
        text = args.plan.read_text()
        plan = parse_plan_bytes(text.encode())
    except OSError as exc:
        raise UsageError(f"{args.plan}: {exc.strerror}") from exc
    except (PlanError, UnicodeDecodeError) as exc:
        raise UsageError(f"{args.plan}: {exc}") from exc
    now = datetime.now(timezone.utc)
    if plan.valid_until <= now:
        raise UsageError(f"{args.plan}: valid_until {plan.valid_until.isoformat()} has passed")
    key = _signing_key(cfg)
    store = open_clinic_store(cfg, args)
    try:
        _version_step(store, device, plan.version)
        _publish(cfg, device, "plan",
                 seal(text, key, clinic=cfg.clinic, device=device, issued_at=now), retain=True)
        store.add_plan(device, plan.version, text)
    finally:
        store.close()
    print(f"plan {plan.plan_id} version {plan.version} signed for {cfg.clinic}/{device} "
          "and published")
    return 0


def message(args: argparse.Namespace) -> int:
    from therapy.clinic_items import MAX_MESSAGE_TEXT, seal_message
    from therapy.records import new_id

    if not 0 < len(args.text) <= MAX_MESSAGE_TEXT:
        raise UsageError(f"the message must be 1..{MAX_MESSAGE_TEXT} characters")
    cfg = _cfg(args)
    device = _device(args.device)
    key = _signing_key(cfg)
    ident, now = new_id(), datetime.now(timezone.utc)
    _publish(cfg, device, "messages/in",
             seal_message(ident, args.text, now, key, clinic=cfg.clinic, device=device))
    store = open_clinic_store(cfg, args)
    store.add_message(device, ident, "to_patient", args.text, now.isoformat())
    store.close()
    print(f"message {ident} signed and sent to {device}")
    return 0


def appoint(args: argparse.Namespace) -> int:
    from therapy.clinic_items import MAX_MINUTES, seal_appointment
    from therapy.dates import parse_time
    from therapy.errors import PlanError
    from therapy.records import new_id

    try:
        start = parse_time(args.at, "--at")
    except PlanError as exc:
        raise UsageError(f"{exc} (e.g. 2026-02-01T10:00:00+01:00)") from exc
    if not 1 <= args.minutes <= MAX_MINUTES:
        raise UsageError(f"--minutes must be 1..{MAX_MINUTES}")
    cfg = _cfg(args)
    device = _device(args.device)
    key = _signing_key(cfg)
    ident = new_id()
    _publish(cfg, device, "messages/in",
             seal_appointment(ident, start, args.minutes, key, clinic=cfg.clinic,
                              device=device, issued_at=datetime.now(timezone.utc)))
    store = open_clinic_store(cfg, args)
    store.add_appointment(ident, device, start.isoformat(), args.minutes)
    store.close()
    print(f"appointment {ident} at {start.isoformat()} for {args.minutes} min signed and "
          f"sent to {device}")
    return 0


def report(args: argparse.Namespace) -> int:
    from mqtt.errors import LinkError
    from clinic.report import gather, write_report

    cfg = _cfg(args)
    store = open_clinic_store(cfg, args)
    try:
        data = gather(store, _device(args.device))
        write_report(data, args.out)
    except LinkError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        store.close()
    print(f"report for {args.device}: {len(data.sessions)} sessions -> {args.out}")
    return 0


def watch(args: argparse.Namespace) -> int:
    from clinic.link import ClinicWatcher, fhir_validator

    cfg = _cfg(args)
    store = open_clinic_store(cfg, args)

    def plain(device: str, leaf: str, body: dict[str, Any]) -> None:
        kind = body.get("resourceType") or body.get("type") or body.get("event") \
            or body.get("state")
        print(f"{datetime.now():%H:%M:%S} {device} {leaf} {kind}", flush=True)

    watcher = ClinicWatcher(cfg.broker, cfg.clinic, store,
                            validate=None if args.no_validate else fhir_validator,
                            on_event=plain if args.plain else None)
    watcher.start()
    end = time.monotonic() + args.duration if args.duration > 0 else float("inf")
    try:
        if args.plain:
            while time.monotonic() < end:
                time.sleep(0.2)
        else:
            _live_table(watcher, end)
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
        store.close()
    return 0


def _live_table(watcher: Any, end: float) -> None:
    from rich.live import Live
    from rich.table import Table

    def table() -> Table:
        t = Table(title=f"clinic {watcher.clinic}: "
                  f"{'connected' if watcher.connected.is_set() else 'connecting...'}")
        for col in ("device", "state", "session", "exercise", "reps", "last ROM (deg)",
                    "records", "dupes", "recent"):
            t.add_column(col)
        for dev, v in sorted(watcher.views.items()):
            t.add_row(dev, v.state, v.session[:8], v.exercise, str(v.reps),
                      "-" if v.last_rom_deg is None else f"{v.last_rom_deg:.1f}",
                      str(v.records), str(v.duplicates), ", ".join(v.events))
        return t

    with Live(table(), refresh_per_second=4) as live:
        while time.monotonic() < end:
            time.sleep(0.25)
            live.update(table())
