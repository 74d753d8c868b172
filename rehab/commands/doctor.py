"""``rehab doctor [--data-dir DIR]``: check the data folder and say what to do.

One line per check (``ok``, ``warn`` or ``FAIL``, the check, what was found and what to
do); exit 0 when nothing failed, 2 otherwise. Nothing is changed: the database is opened
read-only (no migration, no repair), so a damaged file stays as it is for the clinic.

Checks: the folder exists, is a folder, this user may use it (and others may not read
it), free space, the database opens, ``PRAGMA integrity_check``, schema version against
this program's, the outbox (records waiting to be sent), the records the clinic refused
(kept here, listed by id and reason), the interrupted sessions' drafts (those kept aside
because they cannot be read fail, listed by id and reason; those of a process gone wait for
the next start or ``rehab sync``; the running kiosk's own is no fault), ``rehab.toml``, the
clinic link's counters of refused inbound payloads (the running link's ``link-stats.json``)
and ``kiosk.json``; then the pose model and each camera, read as the kiosk reads it
(``rehab/commands/doctor_camera.py``; ``--no-camera``: not read, e.g. while the kiosk runs).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import stat
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

DB_NAME = "rehab.db"
CONFIG_NAME = "rehab.toml"
SETTINGS_NAME = "kiosk.json"
# Free space: below FAIL a save can hit "disk full" (SQLite needs room for the WAL and
# its checkpoint); below WARN, weeks of sessions and logs still fit but not months.
FREE_FAIL_BYTES = 20 * 1024**2
FREE_WARN_BYTES = 200 * 1024**2
OUTBOX_WARN_ROWS = 10_000
OUTBOX_WARN_AGE = timedelta(days=7)
REFUSALS_SCHEMA = 5  # therapy/migrations.py step 5: outbox.refused_code
REFUSED_SHOWN = 10
DRAFTS_SCHEMA = 6  # therapy/migrations.py step 6: session_drafts (the session journal)
INTEGRITY_LINES = 5  # integrity_check lists every problem; the first few say enough
SECRET_IN_URL = re.compile(r"(://[^/@\s:]*:)[^@\s]*@")


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    text: str

    def line(self) -> str:
        return f"{self.status.value:<4}  {self.name}: {' '.join(self.text.split())}"


def register(sub: Any) -> None:
    p = sub.add_parser("doctor", help="check the data folder (space, database, config) and the camera",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", type=Path, help="state folder (default: as rehab kiosk)")
    p.add_argument("--no-camera", action="store_true",
                   help="do not read the cameras (while the kiosk runs and holds one)")
    p.set_defaults(func=run, explains_data_dir=True)


def run(args: argparse.Namespace) -> int:
    from mqtt.config import default_data_dir

    from rehab.commands.doctor_camera import camera_checks

    checks = diagnose(args.data_dir or default_data_dir())
    checks += camera_checks(read=not args.no_camera)
    for c in checks:
        print(c.line())
    failed = sum(c.status is Status.FAIL for c in checks)
    print(f"{failed} problem(s) found" if failed else "all checks passed")
    return 2 if failed else 0


def diagnose(data_dir: Path) -> list[Check]:
    """Every check that applies, in order; later ones are left out when the folder fails."""
    folder = _folder(data_dir)
    if folder.status is Status.FAIL:
        return [folder]
    checks = [folder, _access(data_dir), _free_space(data_dir)]
    checks += _database(data_dir / DB_NAME)
    checks += [_config(data_dir), _link_counters(data_dir), _settings(data_dir)]
    return checks


def _folder(d: Path) -> Check:
    if not d.exists():
        return Check("data folder", Status.FAIL,
                     f"{d} does not exist: pass the right --data-dir (rehab kiosk or rehab "
                     "session creates it at first use)")
    if not d.is_dir():
        return Check("data folder", Status.FAIL,
                     f"{d} is a file, not a folder: pass a folder as --data-dir")
    return Check("data folder", Status.OK, f"{d}")


def _access(d: Path) -> Check:
    if not os.access(d, os.R_OK | os.W_OK | os.X_OK):
        return Check("permissions", Status.FAIL,
                     f"this user cannot read and write {d}: run as the kiosk's user or fix "
                     "its owner")
    mode = stat.S_IMODE(d.stat().st_mode)
    shared = [p.name for p in (d / DB_NAME, d / SETTINGS_NAME)
              if p.exists() and stat.S_IMODE(p.stat().st_mode) & 0o077]
    if mode & 0o077 or shared:
        what = f"folder {mode:04o}" + (f", {', '.join(shared)} readable by others"
                                       if shared else "")
        return Check("permissions", Status.WARN,
                     f"{what}: other users may read health data; chmod 700 the folder and "
                     "600 its files")
    return Check("permissions", Status.OK, f"folder {mode:04o}, private to this user")


def _free_space(d: Path) -> Check:
    free = shutil.disk_usage(d).free
    shown = f"{free / 1024**2:.0f} MB free"
    if free < FREE_FAIL_BYTES:
        return Check("free space", Status.FAIL,
                     f"{shown}: sessions cannot be saved; delete old files (logs, videos) "
                     "or call the clinic")
    if free < FREE_WARN_BYTES:
        return Check("free space", Status.WARN, f"{shown}: running low; free some space")
    return Check("free space", Status.OK, shown)


def _database(path: Path) -> list[Check]:
    from therapy.store import SCHEMA_VERSION

    if not path.exists():
        return [Check("database", Status.OK, f"{path.name} not created yet (made at first use)")]
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
    except sqlite3.Error as exc:
        return [_db_fail("database", path, exc)]
    try:
        checks = [Check("database", Status.OK, f"{path.name} opens")]
        try:
            problems = [r[0] for r in db.execute("PRAGMA integrity_check").fetchall()]
        except sqlite3.Error as exc:
            return [*checks, _db_fail("integrity", path, exc)]
        if problems != ["ok"]:
            shown = "; ".join(problems[:INTEGRITY_LINES])
            return [Check("integrity", Status.FAIL,
                          f"{path.name} is damaged ({len(problems)} problem(s): {shown}); "
                          "keep the file as it is and call the clinic")]
        checks.append(Check("integrity", Status.OK, "integrity_check ok"))
        try:
            version = int(db.execute("SELECT version FROM schema_version").fetchone()[0])
            # schema 5 marks the rows the clinic refused (therapy/outbox_refusals.py)
            has_refusals = version >= REFUSALS_SCHEMA
            waiting, oldest = db.execute(
                "SELECT COUNT(*), MIN(created_at) FROM outbox" +
                (" WHERE refused_code IS NULL" if has_refusals else "")).fetchone()
            refused = db.execute(
                "SELECT record_id, refused_code FROM outbox WHERE refused_code IS NOT NULL "
                "ORDER BY id").fetchall() if has_refusals else []
            drafts = db.execute(
                "SELECT session_id, owner, quarantined FROM session_drafts "
                "ORDER BY session_id").fetchall() if version >= DRAFTS_SCHEMA else []
        except (sqlite3.Error, TypeError, ValueError) as exc:
            return [*checks, _db_fail("schema", path, exc)]
        checks.append(_schema(version, SCHEMA_VERSION))
        checks.append(_outbox(int(waiting), oldest))
        checks.append(_refused([(str(r), str(c)) for r, c in refused]))
        checks.append(_drafts([(str(s), str(o), q) for s, o, q in drafts]))
        return checks
    finally:
        db.close()


def _db_fail(name: str, path: Path, exc: Exception) -> Check:
    from therapy.store_faults import DOCTOR_HINT, storage_fault

    fault = storage_fault(exc, path) if isinstance(exc, sqlite3.Error) else None
    text = (str(fault).replace(f"; {DOCTOR_HINT}", "") if fault is not None else
            f"{path.name} cannot be read ({exc}); keep the file and call the clinic")
    return Check(name, Status.FAIL, text)


def _schema(version: int, program: int) -> Check:
    if version > program:
        return Check("schema", Status.FAIL,
                     f"database schema {version} is newer than this program's {program}: "
                     "upgrade rehab-kiosk")
    if version < program:
        return Check("schema", Status.WARN,
                     f"database schema {version}, program {program}: updated at next start")
    return Check("schema", Status.OK, f"version {version}, as this program")


def _outbox(waiting: int, oldest: str | None) -> Check:
    if waiting == 0:
        return Check("outbox", Status.OK, "0 records wait to be sent")
    text = f"{waiting} record(s) wait to be sent, oldest from {oldest}"
    try:
        age = datetime.now().astimezone() - datetime.fromisoformat(str(oldest))
    except (TypeError, ValueError):
        age = timedelta(0)
    if waiting > OUTBOX_WARN_ROWS or age > OUTBOX_WARN_AGE:
        return Check("outbox", Status.WARN,
                     f"{text}: the clinic link has not sent for a while; check it with "
                     "rehab sync")
    return Check("outbox", Status.OK, text)


def _refused(rows: list[tuple[str, str]]) -> Check:
    if not rows:
        return Check("refused records", Status.OK, "the clinic refused none")
    per = Counter(code for _r, code in rows)
    shown = ", ".join(f"{r} ({c})" for r, c in rows[:REFUSED_SHOWN])
    more = f" and {len(rows) - REFUSED_SHOWN} more" if len(rows) > REFUSED_SHOWN else ""
    why = ", ".join(f"{c} {n}" for c, n in per.most_common())
    return Check("refused records", Status.WARN,
                 f"{len(rows)} record(s) the clinic refused ({why}), kept here: {shown}{more}; "
                 "call your clinic; after their fix rehab sync --retry-refused sends them "
                 "again")


def _drafts(rows: list[tuple[str, str, str | None]]) -> Check:
    """The running sessions' journals (therapy/drafts.py): (session id, owner, why kept
    aside or None) each."""
    from therapy.drafts import owner_alive

    aside = [(sid, str(why)) for sid, _o, why in rows if why is not None]
    if aside:
        shown = ", ".join(f"{sid} ({' '.join(why.split())})" for sid, why in
                          aside[:REFUSED_SHOWN])
        more = f" and {len(aside) - REFUSED_SHOWN} more" if len(aside) > REFUSED_SHOWN else ""
        return Check("session drafts", Status.FAIL,
                     f"{len(aside)} interrupted session(s) cannot be read and are kept aside "
                     f"(quarantined): {shown}{more}; keep {DB_NAME} as it is and call the "
                     "clinic")
    running = sum(owner_alive(owner) for _s, owner, _w in rows)
    now = f"; {running} of the running kiosk or session (not a fault)" if running else ""
    waiting = len(rows) - running
    if waiting:
        return Check("session drafts", Status.WARN,
                     f"{waiting} interrupted session(s) wait to be stored as not completed"
                     f"{now}: the kiosk's next start or rehab sync stores them")
    return Check("session drafts", Status.OK, f"no interrupted session waits{now}")


def _link_counters(d: Path) -> Check:
    from mqtt.link_stats import SNAPSHOT_NAME, read_snapshot

    snap = read_snapshot(d / SNAPSHOT_NAME)
    if snap is None:
        return Check("clinic link", Status.OK, "no counters yet (written by a running link)")
    rejected = snap.get("rejected") if isinstance(snap.get("rejected"), dict) else {}
    counts = {str(k): v for k, v in (rejected or {}).items() if isinstance(v, int) and v > 0}
    unknown = snap.get("clinic_refused_unknown", 0)
    errors = snap.get("callback_errors") if isinstance(snap.get("callback_errors"), dict) \
        else {}
    failed = {str(k): v for k, v in (errors or {}).items() if isinstance(v, int) and v > 0}
    text = (f"inbound payloads refused {sum(counts.values())}"
            + (f" ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})" if counts
               else "")
            + (f"; clinic refusals naming no record {unknown}" if unknown else "")
            + (f"; callback errors {', '.join(f'{k} {v}' for k, v in sorted(failed.items()))}"
               if failed else "")
            + f", as of {snap.get('at', '?')}")
    return Check("clinic link", Status.WARN if counts else Status.OK, text)


def _config(d: Path) -> Check:
    from mqtt.config import load_config
    from mqtt.errors import ConfigError

    if not (d / CONFIG_NAME).exists():
        return Check("config", Status.OK, f"no {CONFIG_NAME}: the clinic link is not set up")
    try:
        cfg = load_config(d, require_device=False)
    except ConfigError as exc:
        shown = SECRET_IN_URL.sub(r"\1***@", str(exc))  # a bad broker URL holds a password
        return Check("config", Status.FAIL, f"{shown}; fix {CONFIG_NAME}")
    device = cfg.device or "(no device id)"
    return Check("config", Status.OK, f"{CONFIG_NAME}: device {device}, clinic {cfg.clinic}, "
                 f"broker {cfg.broker.url}")


def _settings(d: Path) -> Check:
    path = d / SETTINGS_NAME
    if not path.exists():
        return Check("kiosk settings", Status.OK, f"no {SETTINGS_NAME} yet (set at first run)")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        return Check("kiosk settings", Status.FAIL,
                     f"{path} cannot be read ({str(exc)[:120]}): the installer sets the "
                     "kiosk up again (the PIN is never reset to a default)")
    if not isinstance(doc, dict):
        return Check("kiosk settings", Status.FAIL, f"{path} holds no settings object")
    try:  # the kiosk's own validation, where this install has it
        from kiosk.settings import SettingsDamaged, load_settings
    except ImportError:
        return Check("kiosk settings", Status.OK, f"{SETTINGS_NAME} readable")
    try:
        load_settings(d)
    except SettingsDamaged as exc:
        return Check("kiosk settings", Status.FAIL, str(exc))
    return Check("kiosk settings", Status.OK, f"{SETTINGS_NAME} readable")
