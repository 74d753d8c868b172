"""Choosing a PIN on the kiosk: at first run (new PIN twice), as a change (old PIN,
then the new one twice), or as a reset by the installer from Settings (new PIN twice). Pure: the old PIN is checked by an injected function (the lock's
counted :meth:`~kiosk.vm.lock.LockVM.verify`), and the chosen PIN is handed back by
:meth:`PinChangeVM.submit` for the caller to hash, store and audit."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Callable

from kiosk.i18n import N_, _
from kiosk.settings import PIN_LEN, pin_problem

MAX_LEN = PIN_LEN[1]


class PinStep(StrEnum):
    OLD = "old"
    NEW = "new"
    AGAIN = "again"
    DONE = "done"


@dataclass(slots=True)
class PinChangeVM:
    first_run: bool
    verify_old: Callable[[str, float], bool]  # counted check of the current PIN
    wait_s: Callable[[float], float] = lambda now: 0.0  # lockout left on the PIN gate
    reset: bool = False  # the installer sets a forgotten PIN (behind the installer code)
    step: PinStep = PinStep.NEW
    entry: str = ""
    notice: str = ""
    _new: str = ""

    def __post_init__(self) -> None:
        self.step = PinStep.NEW if self.first_run or self.reset else PinStep.OLD

    def prompt(self, now: float) -> str:
        if self.step == PinStep.OLD and (w := self.wait_s(now)) > 0:
            return _("Too many tries: wait {n} s").format(n=f"{w:.0f}")
        if self.notice:
            return _(self.notice)
        lo, hi = PIN_LEN
        if self.step == PinStep.NEW:
            text = (_("Welcome! Choose a PIN of {lo} to {hi} digits to protect your kiosk")
                    if self.first_run else
                    _("Installer: choose the patient's new PIN ({lo} to {hi} digits)")
                    if self.reset else _("Choose a new PIN ({lo} to {hi} digits)"))
            return text.format(lo=lo, hi=hi)
        return _({
            PinStep.OLD: N_("Change PIN: enter your current PIN"),
            PinStep.AGAIN: N_("Enter the new PIN again"),
            PinStep.DONE: N_("Your PIN is saved"),
        }[self.step])

    @property
    def dots(self) -> str:
        return " ".join("●" for _c in self.entry) or " "

    def press(self, digit: str) -> None:
        if len(self.entry) < MAX_LEN and self.step != PinStep.DONE:
            self.entry += digit

    def erase(self) -> None:
        self.entry = self.entry[:-1]

    def submit(self, now: float) -> str | None:
        """Next step; returns the chosen PIN when it has been entered twice alike."""
        entry, self.entry, self.notice = self.entry, "", ""
        if self.step == PinStep.OLD:
            if self.verify_old(entry, now):
                self.step = PinStep.NEW
            else:
                self.notice = N_("That PIN is not right. Try again.")
        elif self.step == PinStep.NEW:
            if problem := pin_problem(entry):
                self.notice = problem
            else:
                self._new, self.step = entry, PinStep.AGAIN
        elif self.step == PinStep.AGAIN:
            if entry == self._new:
                self.step = PinStep.DONE
                return entry
            self._new, self.step = "", PinStep.NEW
            self.notice = N_("The two PINs were not the same. Choose a PIN again.")
        return None
