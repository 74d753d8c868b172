"""Kiosk settings (``<data-dir>/kiosk.json``): PIN, installer code, lock timeout, audio,
text size, reminders.

Two secrets, kept only as Argon2id hashes (argon2-cffi; its PHC string carries a random
salt and the cost parameters):

- the patient's **PIN** (4-8 digits) opens the kiosk. There is no default: a new kiosk asks
  the patient to choose one (entered twice); ``rehab kiosk pin set`` sets it from a terminal.
- the **installer code** (6-12 digits) opens the installer's settings (wearables, camera,
  clinic) and pairing; the patient's own Settings need only the PIN. It is provisioned at
  installation with ``rehab kiosk code set``; until then the installer's settings stay closed.

A ``kiosk.json`` that cannot be read or holds wrong values raises :class:`SettingsDamaged`:
the kiosk shows a "call your clinic" screen and never falls back to a known PIN.
Hashes from older versions (PBKDF2 ``salt:digest``) are still checked, and the old shipped
default (1234 with a fixed salt) counts as no PIN at all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import os
import re
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kiosk.errors import KioskError
from kiosk.i18n import _
from therapy.private_files import write_private

log = logging.getLogger(__name__)

SETTINGS_NAME = "kiosk.json"
DEFAULT_LOCK_AFTER_S = 300.0
LOCK_AFTER_RANGE_S = (30.0, 3600.0)
TEXT_SCALES = (1.0, 1.2, 1.4)  # normal, large, extra large
PIN_LEN = (4, 8)
CODE_LEN = (6, 12)
# Argon2id at OWASP's first profile (19 MiB, t=2, p=1). A PIN of 4-8 digits is not kept
# safe by the hash's cost (10^4-10^8 guesses) but by the lockout and the file's 0600; the
# default 64 MiB profile was one 67 MB block at every unlock, in the middle of a camera set
# too (bench.kiosk_pinned). Hashes written with other parameters still verify, and are
# written again at the next right entry (:func:`needs_rehash`).
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_LEGACY_ITER = 50_000  # PBKDF2 hashes written before Argon2
_LEGACY_DEFAULT_SALT = b"rehabpin"  # the fixed salt of the old default PIN 1234
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class SettingsError(KioskError):
    """A settings value that cannot be used (message says which and why)."""


class SettingsDamaged(SettingsError):
    """``kiosk.json`` exists but cannot be read or holds wrong values."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path} is damaged ({reason}): the kiosk stays closed until "
                         "the installer sets a PIN again with `rehab kiosk pin set`")
        self.path = path
        self.reason = reason


def hash_secret(secret: str) -> str:
    return _HASHER.hash(secret)


def check_secret(secret: str, stored: str) -> bool:
    """True when ``secret`` matches ``stored`` (an Argon2 or legacy PBKDF2 hash)."""
    if not stored:
        return False
    if stored.startswith("$argon2"):
        try:
            return _HASHER.verify(stored, secret)
        except (VerificationError, InvalidHashError):
            return False
    salt_hex, _, digest_hex = stored.partition(":")
    try:
        salt, digest = bytes.fromhex(salt_hex), bytes.fromhex(digest_hex)
    except ValueError:
        return False
    return hmac.compare_digest(
        hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, _LEGACY_ITER), digest)


def needs_rehash(stored: str) -> bool:
    """True when ``stored`` (already checked right) should be hashed again: a legacy
    PBKDF2 hash, or Argon2 parameters other than the kiosk's."""
    if not stored.startswith("$argon2"):
        return True
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def _is_legacy_default(stored: str) -> bool:
    return stored.startswith(_LEGACY_DEFAULT_SALT.hex() + ":")


def pin_problem(pin: str) -> str:
    """Why ``pin`` cannot be a PIN ("" when it can): 4-8 digits, not easy to guess."""
    lo, hi = PIN_LEN
    if not (pin.isascii() and pin.isdigit() and lo <= len(pin) <= hi):
        return _("A PIN is {lo} to {hi} digits").format(lo=lo, hi=hi)
    return _guessable(pin)


def code_problem(code: str) -> str:
    lo, hi = CODE_LEN
    if not (code.isascii() and code.isdigit() and lo <= len(code) <= hi):
        return f"An installer code is {lo} to {hi} digits"
    return _guessable(code)


def _guessable(digits: str) -> str:
    steps = {(int(b) - int(a)) % 10 for a, b in zip(digits, digits[1:])}
    if len(steps) == 1 and steps <= {0, 1, 9}:
        return _("Too easy to guess (like 1111 or 1234): choose other digits")
    return ""


@dataclass(frozen=True, slots=True)
class KioskSettings:
    pin_hash: str = ""  # "" = not chosen yet: the kiosk asks the patient to choose one
    code_hash: str = ""  # "" = no installer code: the installer's settings stay closed
    lock_after_s: float = DEFAULT_LOCK_AFTER_S
    audio: bool = True
    volume: float = 0.8
    text_scale: float = 1.0
    reminder_times: tuple[str, ...] = ("10:00", "17:00")  # HH:MM local, one per session
    language: str = "en"  # kiosk.i18n.LANGUAGES: what the screens show and the voice says

    @property
    def pin_set(self) -> bool:
        return bool(self.pin_hash)

    @property
    def code_set(self) -> bool:
        return bool(self.code_hash)

    def with_pin(self, pin: str) -> KioskSettings:
        if problem := pin_problem(pin):
            raise SettingsError(problem)
        return replace(self, pin_hash=hash_secret(pin))

    def with_code(self, code: str) -> KioskSettings:
        if problem := code_problem(code):
            raise SettingsError(problem)
        return replace(self, code_hash=hash_secret(code))

    def public_changes(self, other: KioskSettings) -> dict[str, Any]:
        """Fields that differ from ``other``, secrets named but never shown (audit detail)."""
        out: dict[str, Any] = {}
        for name in KioskSettings.__slots__:
            a, b = getattr(self, name), getattr(other, name)
            if a != b:
                out[name] = "(changed)" if name.endswith("_hash") else b
        return out


def _validated(raw: Any) -> KioskSettings:
    """Settings from parsed JSON; raises ValueError naming the wrong field."""
    if not isinstance(raw, dict):
        raise ValueError("not a JSON object")
    s = KioskSettings()
    kw: dict[str, Any] = {}
    for key in ("pin_hash", "code_hash"):
        v = raw.get(key, "")
        if not isinstance(v, str):
            raise ValueError(f"{key} is not text")
        kw[key] = "" if _is_legacy_default(v) else v
    lock = raw.get("lock_after_s", s.lock_after_s)
    if isinstance(lock, bool) or not isinstance(lock, (int, float)) or not math.isfinite(lock) \
            or not LOCK_AFTER_RANGE_S[0] <= lock <= LOCK_AFTER_RANGE_S[1]:
        raise ValueError(f"lock_after_s must be {LOCK_AFTER_RANGE_S[0]:.0f}.."
                         f"{LOCK_AFTER_RANGE_S[1]:.0f} s")
    kw["lock_after_s"] = float(lock)
    audio = raw.get("audio", s.audio)
    if not isinstance(audio, bool):
        raise ValueError("audio must be true or false")
    kw["audio"] = audio
    vol = raw.get("volume", s.volume)
    if isinstance(vol, bool) or not isinstance(vol, (int, float)) or not 0.0 <= vol <= 1.0:
        raise ValueError("volume must be 0..1")
    kw["volume"] = float(vol)
    scale = raw.get("text_scale", s.text_scale)
    if scale not in TEXT_SCALES:
        raise ValueError(f"text_scale must be one of {TEXT_SCALES}")
    kw["text_scale"] = float(scale)
    times = raw.get("reminder_times", list(s.reminder_times))
    if not isinstance(times, list) or not all(isinstance(t, str) and _HHMM.match(t)
                                              for t in times):
        raise ValueError("reminder_times must be a list of HH:MM")
    kw["reminder_times"] = tuple(times)
    from kiosk.i18n import LANGUAGES

    lang = raw.get("language", s.language)
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    kw["language"] = lang
    return KioskSettings(**kw)


def load_settings(data_dir: Path) -> KioskSettings:
    """The saved settings; defaults (no PIN, no code) when there is no file yet.

    Raises :class:`SettingsDamaged` when the file exists but cannot be used."""
    path = Path(data_dir) / SETTINGS_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return KioskSettings()
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsDamaged(path, f"unreadable: {getattr(exc, 'strerror', None) or exc}") \
            from exc
    try:
        return _validated(json.loads(text))
    except (ValueError, RecursionError) as exc:
        raise SettingsDamaged(path, str(exc)[:200]) from exc


def save_settings(data_dir: Path, s: KioskSettings) -> None:
    """Write ``kiosk.json`` atomically, 0600."""
    write_private(Path(data_dir) / SETTINGS_NAME, json.dumps(asdict(s), indent=1).encode())


def set_aside(data_dir: Path) -> Path:
    """Move a damaged ``kiosk.json`` out of the way (kept for inspection); returns its
    new path."""
    path = Path(data_dir) / SETTINGS_NAME
    kept = path.with_name(f"{SETTINGS_NAME}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    os.replace(path, kept)
    return kept
