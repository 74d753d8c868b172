"""The PIN's hash costs 19 MiB (OWASP's Argon2id profile), not argon2-cffi's default 64 MiB,
which showed as one 67 MB block at every unlock, in a camera set too (bench.kiosk_pinned).
A kiosk that kept a hash from an older version (64 MiB Argon2id, or PBKDF2) still opens with
the same PIN and writes it again with today's parameters at the next right entry; a wrong
entry changes nothing. Real SQLite, real Argon2."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fake_navigator import Monotonic
from flow_helpers import CODE, PIN

import kiosk.access
from kiosk.adapters.sources import SimSourceFactory
from kiosk.model import KioskModel
from kiosk.settings import (KioskSettings, check_secret, hash_secret, load_settings,
                            needs_rehash, save_settings)
from kiosk.vm.lock import Purpose
from therapy.ports import FakeClock
from therapy.private_files import DataDirError

TODAY = "$argon2id$v=19$m=19456,t=2,p=1$"


def _model(data: Path) -> KioskModel:
    return KioskModel(data, sources=SimSourceFactory(), clock=FakeClock(),
                      monotonic=Monotonic())


def _try(m: KioskModel, digits: str, purpose: Purpose = Purpose.UNLOCK) -> bool:
    m.lock.begin(purpose)
    for d in digits:
        m.lock.press(d, m.monotonic())
    return m.lock.submit(m.monotonic())


def _pbkdf2(secret: str) -> str:
    salt = bytes(range(16))
    return f"{salt.hex()}:{hashlib.pbkdf2_hmac('sha256', secret.encode(), salt, 50_000).hex()}"


def test_new_hashes_use_the_kiosk_parameters() -> None:
    h = hash_secret(PIN)
    assert h.startswith(TODAY) and check_secret(PIN, h) and not needs_rehash(h)
    assert needs_rehash(PasswordHasher().hash(PIN)) and needs_rehash(_pbkdf2(PIN))


def test_an_older_pin_hash_opens_and_is_written_again(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    old_pin = PasswordHasher().hash(PIN)  # 64 MiB, t=3, p=4: an older version's
    save_settings(data, dataclasses.replace(KioskSettings().with_code(CODE), pin_hash=old_pin))
    m = _model(data)
    assert not _try(m, "9753")  # a wrong PIN leaves the stored hash alone
    assert load_settings(data).pin_hash == old_pin
    assert _try(m, PIN) and not m.lock.locked
    stored = load_settings(data).pin_hash
    assert stored.startswith(TODAY) and check_secret(PIN, stored)
    assert m.lock.pin_hash == stored and load_settings(data).code_hash.startswith(TODAY)
    m.close()
    again = _model(data)  # the next start opens with the same PIN
    assert _try(again, PIN)
    again.close()


def test_a_legacy_installer_code_is_hashed_with_argon2_after_use(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    save_settings(data, dataclasses.replace(KioskSettings().with_pin(PIN),
                                            code_hash=_pbkdf2(CODE)))
    m = _model(data)
    assert _try(m, CODE, Purpose.SETTINGS)
    stored = load_settings(data)
    assert stored.code_hash.startswith(TODAY) and check_secret(CODE, stored.code_hash)
    assert check_secret(PIN, stored.pin_hash)  # the other secret is kept as it was
    m.close()


def test_a_rehash_that_cannot_be_written_still_opens(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    data = tmp_path / "data"
    data.mkdir()
    old_pin = PasswordHasher().hash(PIN)
    save_settings(data, dataclasses.replace(KioskSettings().with_code(CODE), pin_hash=old_pin))
    m = _model(data)

    def disk_full(data_dir: Path, s: KioskSettings) -> None:
        raise DataDirError(f"cannot write {data_dir / 'kiosk.json'}: No space left on device")

    monkeypatch.setattr(kiosk.access, "save_settings", disk_full)
    with caplog.at_level(logging.WARNING, logger="kiosk.access"):
        assert _try(m, PIN) and not m.lock.locked
    assert "pin_hash kept with its old hash parameters" in caplog.text
    assert load_settings(data).pin_hash == old_pin and m.lock.pin_hash == old_pin
    m.close()
