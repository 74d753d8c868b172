"""Who may use the kiosk: settings with the PIN and installer code, the lock, the audit trail.

No Kivy. :class:`KioskAccess` loads ``kiosk.json`` (a damaged file closes the kiosk, never
falls back to a known PIN), builds the :class:`~kiosk.vm.lock.LockVM` with its lockout
counters restored from the audit table, and writes every security event with
:func:`therapy.audit.record_audit` (audit row + FHIR AuditEvent outbox row, one transaction).

States (:class:`AccessState`):

- ``CHOOSE_PIN``: no PIN has ever been set on this kiosk: the patient chooses one.
- ``READY``: a PIN is set: the lock screen asks for it.
- ``CLOSED``: ``kiosk.json`` is damaged, or the PIN is missing although the audit trail
  shows one was set (the file was removed or emptied). The kiosk shows a "call your
  clinic" screen; the installer runs ``rehab kiosk pin set`` and the screen's "Try again"
  re-reads the file. Only a kiosk that never had a PIN lets the person at the screen choose.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Callable, Protocol

from kiosk.settings import (KioskSettings, SettingsDamaged, SettingsError, hash_secret,
                            load_settings, save_settings)
from kiosk.vm.lock import FAIL_KIND, RESET_KINDS, Gate, LockVM, Purpose
from kiosk.vm.pin_change import PinChangeVM
from therapy.audit import Actor, AuditKind, AuditOutcome, AuditSink, record_audit
from therapy.errors import StoreError

log = logging.getLogger(__name__)


class AccessState(StrEnum):
    CHOOSE_PIN = "choose_pin"
    READY = "ready"
    CLOSED = "closed"


class AuditLog(AuditSink, Protocol):
    """The store side the kiosk needs: write audit records, read lockout counters."""

    def audit_failure_run(self, failed: AuditKind,
                          resets: tuple[AuditKind, ...]) -> tuple[int, datetime | None]: ...
    def audit_has(self, kind: AuditKind) -> bool: ...


class KioskAccess:
    def __init__(self, data_dir: Path, store: AuditLog, device_id: str,
                 monotonic: Callable[[], float], wall: Callable[[], datetime],
                 notify: Callable[[], None] = lambda: None) -> None:
        self.data_dir = Path(data_dir)
        self.store = store
        self.device_id = device_id
        self.monotonic, self.wall, self.notify = monotonic, wall, notify
        self.problem = ""
        self.settings = KioskSettings()
        self.lock = LockVM("", KioskSettings().lock_after_s, audit=self.audit,
                           rehash=self._rehash)
        self.reload()
        for purpose in Purpose:
            count, last = store.audit_failure_run(FAIL_KIND[purpose], RESET_KINDS[purpose])
            age = (self.wall() - last).total_seconds() if last is not None else 1e9
            self.lock.restore(purpose, count, age, self.monotonic())

    # --- state -----------------------------------------------------------------------
    @property
    def state(self) -> AccessState:
        if self.problem:
            return AccessState.CLOSED
        return AccessState.READY if self.settings.pin_set else AccessState.CHOOSE_PIN

    def reload(self) -> AccessState:
        """(Re-)read ``kiosk.json``: at start, and from the closed screen's "Try again"."""
        try:
            s = load_settings(self.data_dir)
        except SettingsDamaged as exc:
            log.error("%s", exc)
            if self.problem != str(exc):
                self.audit(AuditKind.SETTINGS_DAMAGED, AuditOutcome.FAILURE, Actor.DEVICE,
                           exc.reason)
            self.problem = str(exc)
            self.lock.locked = True
            return self.state
        self.problem = ""
        if not s.pin_set and self.store.audit_has(AuditKind.PIN_SET):
            self.problem = (f"{self.data_dir / 'kiosk.json'} has no PIN although one was set "
                            "on this kiosk: the installer sets it again with "
                            "`rehab kiosk pin set`")
            log.error("%s", self.problem)
        self._apply(s)
        return self.state

    def _apply(self, s: KioskSettings) -> None:
        self.settings = s
        self.lock.pin_hash, self.lock.code_hash = s.pin_hash, s.code_hash
        self.lock.lock_after_s = s.lock_after_s

    def audit(self, kind: AuditKind, outcome: AuditOutcome = AuditOutcome.SUCCESS,
              actor: Actor = Actor.PATIENT, detail: str = "") -> None:
        """Record a security event (audit table + outbox). A store fault is logged, not
        raised: the kiosk keeps working, and the fault shows where records are saved."""
        try:
            record_audit(self.store, self.device_id, kind, outcome, actor=actor,
                         detail=detail, at=self.wall())
        except StoreError:
            log.exception("audit record %s not saved", kind)
            return
        self.notify()

    # --- PIN -------------------------------------------------------------------------
    def pin_flow(self, reset: bool = False) -> PinChangeVM:
        """First run: choose a PIN; otherwise change it (old PIN first, counted); ``reset``:
        the installer sets a new one from Settings (no old PIN)."""
        lock = self.lock
        return PinChangeVM(
            first_run=self.state == AccessState.CHOOSE_PIN, reset=reset,
            verify_old=lambda pin, now: lock.verify(Purpose.UNLOCK, pin, now, quiet=True),
            wait_s=lambda now: lock.wait_s(now, Purpose.UNLOCK))

    def save_pin(self, pin: str, first_run: bool, reset: bool = False) -> None:
        """Store a PIN chosen on the kiosk (validated by :class:`PinChangeVM`): by the
        patient at first run or as a change, or by the installer (``reset``, which also
        ends a lockout)."""
        if first_run and self.state != AccessState.CHOOSE_PIN:
            raise SettingsError("a PIN is already set: change it with the old PIN")
        self._save(self.settings.with_pin(pin))
        if reset:
            self.audit(AuditKind.PIN_SET, actor=Actor.INSTALLER,
                       detail="reset at the kiosk with the installer code")
        else:
            self.audit(AuditKind.PIN_SET if first_run else AuditKind.PIN_CHANGED,
                       detail="chosen at the kiosk")
        self.lock.gates[Purpose.UNLOCK] = Gate()

    # --- settings and pairing --------------------------------------------------------
    def update_settings(self, new: KioskSettings, by: Actor = Actor.INSTALLER) -> None:
        """Settings changed at the kiosk: save and audit as ``by``'s (the patient's own
        Settings, or the installer's behind the code)."""
        changes = self.settings.public_changes(new)
        self._save(new)
        if changes:
            self.audit(AuditKind.SETTINGS_CHANGED, actor=by,
                       detail=json.dumps(changes, sort_keys=True, default=str))

    def pairing_changed(self, detail: str) -> None:
        self.audit(AuditKind.PAIRING_CHANGED, actor=Actor.INSTALLER, detail=detail)

    def _rehash(self, purpose: Purpose, entry: str) -> None:
        """A right PIN or code whose hash was written with other parameters (an older
        version's): hash it again with today's, the secret unchanged. A failed write is
        logged; the old hash still opens the kiosk."""
        field_ = "pin_hash" if purpose == Purpose.UNLOCK else "code_hash"
        try:
            self._save(replace(self.settings, **{field_: hash_secret(entry)}))
        except (OSError, StoreError) as exc:
            log.warning("%s kept with its old hash parameters: %s", field_, exc)
            return
        log.info("%s hashed again with the kiosk's Argon2id parameters", field_)

    def _save(self, s: KioskSettings) -> None:
        save_settings(self.data_dir, s)
        self._apply(s)

