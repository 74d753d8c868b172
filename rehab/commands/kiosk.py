"""``rehab kiosk``: the touchscreen app (Kivy) on this device's data.

With no wearables paired it runs on simulated wearables ("DEMO SENSORS"); with no clinic
configured (no ``rehab.toml``) it works offline and shows how many records wait.
``--screenshots DIR`` renders every screen at 800x480 and 1280x800 on a throw-away
demo data dir, offscreen, and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Any

from rehab.cli import UsageError

log = logging.getLogger(__name__)


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, got {text!r}") from None
    return w, h


def register(sub: Any) -> None:
    p = sub.add_parser("kiosk", help="run the touchscreen kiosk (simulated sensors if none)")
    p.add_argument("--data-dir", help="state folder (default: per-user data dir; "
                   "/var/lib/rehab under systemd)")
    p.add_argument("--screenshots", metavar="DIR",
                   help="render every screen at 800x480 and 1280x800 to PNG files and exit")
    p.add_argument("--size", type=_size, default=None, metavar="WxH",
                   help="window size (default: full screen on a kiosk, 800x480 in a window)")
    p.add_argument("--windowed", action="store_true", help="not full screen")
    p.add_argument("--sim-speed", type=float, default=1.0,
                   help="simulated wearables at this many times real time (default 1)")
    p.add_argument("--demo-sensors", action="store_true",
                   help="use simulated wearables even when some are paired")
    p.add_argument("--lang", metavar="LANG", default=None,
                   help="language of the screens and spoken cues: en or es (default: the "
                   "one chosen in Settings, else en); with --screenshots, the shots' language")
    p.add_argument("--text-size", choices=tuple(TEXT_SIZES), default=None,
                   help="with --screenshots: the patient's text size in the shots, as "
                   "Settings sets it (default normal)")
    p.set_defaults(func=run)
    secrets = p.add_subparsers(dest="kiosk_command", metavar="{pin,code}")
    for what, helptext in (("pin", "the patient's PIN (opens the kiosk)"),
                           ("code", "the installer code (opens Settings and pairing)")):
        sp = secrets.add_parser(what, help=f"manage {helptext}")
        acts = sp.add_subparsers(dest="action", metavar="set", required=True)
        st = acts.add_parser("set", help=f"set {helptext}: read from stdin (asked twice on "
                             "a terminal), never from the command line")
        st.add_argument("--data-dir", default=argparse.SUPPRESS, help="state folder")
        st.set_defaults(func=set_secret, secret=what)


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                or os.environ.get("SDL_VIDEODRIVER"))


def run(args: argparse.Namespace) -> int:
    from kiosk.headless import prepare_env
    from mqtt.config import default_data_dir
    from sensors.glibc_heap import limit_heap_growth

    limit_heap_growth()  # before any thread or big block: camera frames, the pose model

    if args.sim_speed <= 0:
        raise UsageError("--sim-speed must be > 0")
    data_dir = Path(args.data_dir) if args.data_dir else default_data_dir()
    if args.lang is not None:
        from kiosk.i18n import LanguageError, check_language

        try:
            check_language(args.lang)
        except LanguageError as exc:
            raise UsageError(f"--lang: {exc}") from None
    if args.screenshots:
        return _screenshots(Path(args.screenshots), args)
    kivy_home = Path(os.environ.get("KIVY_HOME") or data_dir / "kivy")
    kiosk_dev = Path("/dev/dri").exists() and os.geteuid() == 0
    offscreen = not _has_display() and not kiosk_dev
    if offscreen:
        print("rehab kiosk: no display found: rendering offscreen (set DISPLAY or run on "
              "the Pi's screen to see it)", file=sys.stderr)
    prepare_env(kivy_home, offscreen=offscreen)
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kiosk.kivy_setup import configure_kivy, on_raspberry_pi

    pi = on_raspberry_pi()
    configure_kivy(args.size or ((800, 480) if args.windowed or not pi else None),
                   fullscreen=pi and not args.windowed, pi=pi)
    from kiosk.adapters.sources import SimSourceFactory
    from kiosk.model import KioskModel
    from kiosk.ui.app import KioskApp, run_app

    model = KioskModel(data_dir, sim_speed=args.sim_speed,
                       sources=SimSourceFactory(args.sim_speed) if args.demo_sensors else None)
    print(f"rehab kiosk: data in {data_dir}; sensors: "
          f"{'DEMO (simulated)' if model.sources.demo else 'paired wearables'}; "
          f"clinic: {model.clinic.status_text()}; {model.outbox_waiting()} records waiting",
          file=sys.stderr)
    try:
        asyncio.run(run_app(KioskApp(model, language=args.lang)))
    finally:
        model.close()
    return 0


SHOT_SIZES = ((800, 480), (1280, 800))
# Settings' text sizes by name (kiosk.settings.TEXT_SCALES; not imported here: rehab's
# commands load Kivy's side only when they run)
TEXT_SIZES = {"normal": 1.0, "large": 1.2, "extra-large": 1.4}


def _screenshots(out: Path, args: argparse.Namespace) -> int:
    """One offscreen process per size (see kiosk.ui.screenshots), run side by side: they
    mostly wait for the simulated wearables."""
    import subprocess

    out.mkdir(parents=True, exist_ok=True)
    speed = str(max(args.sim_speed, 4.0))
    procs = [subprocess.Popen([sys.executable, "-m", "kiosk.shots_main", str(out),
                               f"{w}x{h}", speed, args.lang or "en",
                               str(TEXT_SIZES[args.text_size or "normal"])],
                              stdout=subprocess.PIPE,
                              text=True)
             for w, h in SHOT_SIZES]
    status = 0
    for p, (w, h) in zip(procs, SHOT_SIZES):
        stdout, _ = p.communicate(timeout=300)
        print(stdout, end="")
        if p.returncode != 0:
            print(f"rehab kiosk: screenshots at {w}x{h} failed (exit {p.returncode})",
                  file=sys.stderr)
            status = 1
    return status


def _read_secret(label: str) -> str:
    """From a terminal: asked twice without echo. Otherwise: the first line of stdin."""
    import getpass

    if sys.stdin.isatty():
        first = getpass.getpass(f"New {label}: ")
        if getpass.getpass(f"New {label} again: ") != first:
            raise UsageError(f"the two {label}s were not the same: nothing changed")
        return first
    return sys.stdin.readline().strip()


def set_secret(args: argparse.Namespace) -> int:
    """``rehab kiosk pin set`` / ``rehab kiosk code set``: hash, save (0600), audit."""
    from kiosk.settings import (SettingsDamaged, SettingsError, code_problem, load_settings,
                                pin_problem, save_settings, set_aside)
    from mqtt.config import default_data_dir
    from therapy.audit import Actor, AuditKind, record_audit
    from therapy.errors import StoreError
    from therapy.private_files import private_dir
    from therapy.store import TherapyStore

    data_dir = Path(args.data_dir) if getattr(args, "data_dir", None) else default_data_dir()
    is_pin = args.secret == "pin"
    label = "PIN" if is_pin else "installer code"
    value = _read_secret(label)
    if problem := (pin_problem if is_pin else code_problem)(value):
        raise UsageError(f"{problem}: nothing changed")
    try:
        private_dir(data_dir)
        try:
            settings = load_settings(data_dir)
        except SettingsDamaged as exc:
            kept = set_aside(data_dir)
            print(f"rehab kiosk: {data_dir / 'kiosk.json'} was damaged ({exc.reason}); kept "
                  f"as {kept.name}, other settings back to their defaults", file=sys.stderr)
            from kiosk.settings import KioskSettings

            settings = KioskSettings()
        settings = settings.with_pin(value) if is_pin else settings.with_code(value)
        store = TherapyStore(data_dir / "rehab.db")  # opened first: a bad store changes nothing
        try:
            save_settings(data_dir, settings)
            record_audit(store, _device_id(data_dir),
                         AuditKind.PIN_SET if is_pin else AuditKind.CODE_SET,
                         actor=Actor.TERMINAL, detail=f"rehab kiosk {args.secret} set")
        finally:
            store.close()
    except (SettingsError, StoreError, OSError) as exc:
        raise UsageError(f"{label} not set: {exc}") from exc
    print(f"rehab kiosk: {label} set in {data_dir / 'kiosk.json'}", file=sys.stderr)
    return 0


def _device_id(data_dir: Path) -> str:
    """The id the kiosk's audit records carry (as ``kiosk.adapters.clinic.open_clinic``)."""
    from mqtt.config import CONFIG_NAME, OFFLINE_DEVICE_ID, load_config
    from mqtt.errors import ConfigError

    if not (data_dir / CONFIG_NAME).is_file():
        return OFFLINE_DEVICE_ID
    try:
        return load_config(data_dir, require_device=False).device or OFFLINE_DEVICE_ID
    except ConfigError:
        return OFFLINE_DEVICE_ID
