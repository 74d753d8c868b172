"""Kiosk settings (``<data-dir>/kiosk.json``): PIN, lock timeout, audio, text size, reminders.

The PIN is stored as a salted PBKDF2 hash. A new kiosk's PIN is ``DEFAULT_PIN`` (the
installer changes it in Settings). Pure apart from :func:`load_settings`/:func:`save_settings`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

log = logging.getLogger(__name__)

SETTINGS_NAME = "kiosk.json"
DEFAULT_PIN = "1234"
DEFAULT_LOCK_AFTER_S = 300.0
TEXT_SCALES = (1.0, 1.2, 1.4)  # normal, large, extra large
_ITER = 50_000


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else os.urandom(8)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, _ITER)
    return f"{salt.hex()}:{digest.hex()}"


def check_pin(pin: str, stored: str) -> bool:
    salt_hex, _, _digest = stored.partition(":")
    try:
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    return hmac.compare_digest(hash_pin(pin, salt), stored)


@dataclass(frozen=True, slots=True)
class KioskSettings:
    pin_hash: str = field(default_factory=lambda: hash_pin(DEFAULT_PIN, b"rehabpin"))
    lock_after_s: float = DEFAULT_LOCK_AFTER_S
    audio: bool = True
    volume: float = 0.8
    text_scale: float = 1.0
    reminder_times: tuple[str, ...] = ("10:00", "17:00")  # HH:MM local, one per session

    def with_pin(self, pin: str) -> KioskSettings:
        if not (pin.isdigit() and 4 <= len(pin) <= 8):
            raise ValueError("a PIN is 4 to 8 digits")
        return replace(self, pin_hash=hash_pin(pin))


def load_settings(data_dir: Path) -> KioskSettings:
    path = data_dir / SETTINGS_NAME
    if not path.is_file():
        return KioskSettings()
    try:
        raw = json.loads(path.read_text())
        raw["reminder_times"] = tuple(raw.get("reminder_times", ()))
        known = {k: v for k, v in raw.items() if k in KioskSettings.__slots__}
        return KioskSettings(**known)
    except (OSError, ValueError, TypeError) as exc:
        log.warning("%s unreadable (%s): using defaults", path, exc)
        return KioskSettings()


def save_settings(data_dir: Path, s: KioskSettings) -> None:
    path = data_dir / SETTINGS_NAME
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(s), indent=1))
    os.replace(tmp, path)
