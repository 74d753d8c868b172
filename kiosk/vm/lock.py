"""Lock screen state: PIN or installer-code entry, escalating lockout, the inactivity timer.

The lock screen shows no health data; it may say that exercises are due (a reminder)
without saying which. Two gates, counted apart: the patient's PIN (``Purpose.UNLOCK``)
and the installer code (``Purpose.SETTINGS``, the installer's settings and pairing).

Lockout policy (data plus the pure :func:`lockout_s`): every :data:`TRIES_PER_STEP` wrong
entries in a row block the keypad, :data:`FIRST_LOCKOUT_S` the first time, then twice as
long each time, at most :data:`MAX_LOCKOUT_S`. Every try is written to the audit trail
(through the injected ``audit`` callback), and the kiosk restores the counters from it at
start (:meth:`LockVM.restore`), so a restart does not reset the lockout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Callable

from kiosk.i18n import N_, _
from kiosk.settings import check_secret, needs_rehash
from therapy.audit import Actor, AuditKind, AuditOutcome

MAX_PIN_LEN = 12  # the keypad takes up to the longest installer code
TRIES_PER_STEP = 5
FIRST_LOCKOUT_S = 30.0
MAX_LOCKOUT_S = 3600.0


class Purpose(StrEnum):
    UNLOCK = "unlock"  # the patient's PIN opens the kiosk
    SETTINGS = "settings"  # the installer code opens the installer's settings


# per gate: (audit kind on success, on failure, kinds that end a run of failures)
OK_KIND = {Purpose.UNLOCK: AuditKind.UNLOCKED, Purpose.SETTINGS: AuditKind.CODE_ACCEPTED}
FAIL_KIND = {Purpose.UNLOCK: AuditKind.PIN_FAILED, Purpose.SETTINGS: AuditKind.CODE_FAILED}
RESET_KINDS = {
    Purpose.UNLOCK: (AuditKind.UNLOCKED, AuditKind.PIN_SET, AuditKind.PIN_CHANGED),
    Purpose.SETTINGS: (AuditKind.CODE_ACCEPTED, AuditKind.CODE_SET),
}
AuditFn = Callable[[AuditKind, AuditOutcome, Actor, str], None]
RehashFn = Callable[["Purpose", str], None]  # a right entry whose stored hash is outdated
PROMPT = {Purpose.UNLOCK: N_("Enter your PIN"),
          Purpose.SETTINGS: N_("Enter the installer code")}
NO_CODE = N_("The installer settings are closed: no installer code is set yet. The "
             "installer sets one with `rehab kiosk code set`.")
WRONG_PIN = N_("That PIN is not right. Try again.")
WRONG_CODE = N_("That code is not right.")


def lockout_s(failures: int) -> float:
    """How long the keypad stays blocked after the ``failures``-th wrong entry in a row."""
    if failures <= 0 or failures % TRIES_PER_STEP:
        return 0.0
    step = failures // TRIES_PER_STEP
    return min(FIRST_LOCKOUT_S * 2.0 ** min(step - 1, 30), MAX_LOCKOUT_S)


def _no_audit(kind: AuditKind, outcome: AuditOutcome, actor: Actor, detail: str) -> None:
    pass


def _no_rehash(purpose: Purpose, entry: str) -> None:
    pass


@dataclass(slots=True)
class Gate:
    failures: int = 0  # wrong entries since the last right one
    blocked_until: float = 0.0  # monotonic seconds


@dataclass(slots=True)
class LockVM:
    pin_hash: str
    lock_after_s: float
    code_hash: str = ""
    audit: AuditFn = _no_audit
    rehash: RehashFn = _no_rehash
    locked: bool = True
    entry: str = ""
    purpose: Purpose = Purpose.UNLOCK
    notice: str = ""  # the outcome of the last try ("That PIN is not right...")
    last_activity: float = 0.0
    gates: dict[Purpose, Gate] = field(
        default_factory=lambda: {Purpose.UNLOCK: Gate(), Purpose.SETTINGS: Gate()})

    # --- state shown -----------------------------------------------------------------
    def wait_s(self, now: float, purpose: Purpose | None = None) -> float:
        return max(0.0, self.gates[purpose or self.purpose].blocked_until - now)

    def message(self, now: float) -> str:
        if (wait := self.wait_s(now)) > 0:
            return _("Too many tries: wait {time}").format(time=_human(wait))
        if self.purpose == Purpose.SETTINGS and not self.code_hash:
            return _(NO_CODE)
        return _(self.notice or PROMPT[self.purpose])

    @property
    def dots(self) -> str:
        return " ".join("●" for _c in self.entry) or " "

    # --- keys ------------------------------------------------------------------------
    def begin(self, purpose: Purpose) -> None:
        self.purpose, self.entry, self.notice = purpose, "", ""

    def press(self, digit: str, now: float) -> None:
        if self.wait_s(now) <= 0 and len(self.entry) < MAX_PIN_LEN:
            self.entry += digit

    def erase(self) -> None:
        self.entry = self.entry[:-1]

    def submit(self, now: float) -> bool:
        """Check the entry for the current purpose; True when it was right (the kiosk
        unlocks, or Settings open)."""
        entry, self.entry = self.entry, ""
        if not entry:
            return False
        ok = self.verify(self.purpose, entry, now)
        if ok and self.purpose == Purpose.UNLOCK:
            self.locked = False
            self.last_activity = now
        return ok

    def verify(self, purpose: Purpose, entry: str, now: float, *, quiet: bool = False) -> bool:
        """Check ``entry`` against the gate's secret, counting wrong tries (also used to
        check the old PIN before a change). ``quiet`` leaves a right entry out of the
        audit trail (the change that follows is recorded instead)."""
        gate = self.gates[purpose]
        actor = Actor.PATIENT if purpose == Purpose.UNLOCK else Actor.INSTALLER
        if gate.blocked_until > now:
            return False
        secret = self.pin_hash if purpose == Purpose.UNLOCK else self.code_hash
        if not secret:  # nothing to guess (no code provisioned yet): not a wrong try
            return False
        if check_secret(entry, secret):
            gate.failures, self.notice = 0, ""
            if not quiet:
                self.audit(OK_KIND[purpose], AuditOutcome.SUCCESS, actor, "")
            if needs_rehash(secret):
                self.rehash(purpose, entry)
            return True
        gate.failures += 1
        self.audit(FAIL_KIND[purpose], AuditOutcome.FAILURE, actor,
                   f"wrong entry {gate.failures} in a row")
        self.notice = WRONG_PIN if purpose == Purpose.UNLOCK else WRONG_CODE
        if block := lockout_s(gate.failures):
            gate.blocked_until = now + block
            self.audit(AuditKind.LOCKED_OUT, AuditOutcome.FAILURE, actor,
                       f"{purpose}: keypad blocked {block:.0f} s after "
                       f"{gate.failures} wrong entries in a row")
        return False

    def restore(self, purpose: Purpose, failures: int, since_last_s: float,
                now: float) -> None:
        """Counters from the audit trail after a restart: ``failures`` wrong entries in a
        row, the last ``since_last_s`` ago (a clock set back counts as just now)."""
        gate = self.gates[purpose]
        gate.failures = failures
        left = lockout_s(failures) - max(0.0, since_last_s)
        gate.blocked_until = now + left if left > 0 else 0.0

    # --- inactivity ------------------------------------------------------------------
    def touch(self, now: float) -> None:
        self.last_activity = now

    def lock(self, reason: str, actor: Actor = Actor.PATIENT) -> None:
        if not self.locked:
            self.audit(AuditKind.LOCKED, AuditOutcome.SUCCESS, actor, reason)
        self.locked, self.entry, self.notice = True, "", ""
        self.purpose = Purpose.UNLOCK

    def tick(self, now: float, busy: bool = False) -> bool:
        """Lock after inactivity; ``busy`` (a set being done, not paused) keeps it open.
        True when this call locked."""
        if busy:
            self.last_activity = now
        if not self.locked and now - self.last_activity >= self.lock_after_s:
            self.lock(f"no touch for {self.lock_after_s:.0f} s", Actor.DEVICE)
            return True
        return False


def _human(seconds: float) -> str:
    s = int(seconds + 0.999)
    return f"{s} s" if s < 120 else f"{(s + 59) // 60} min"
