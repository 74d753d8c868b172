"""Lock screen state: PIN entry and the inactivity timer. The lock screen shows no health
data; it may say that exercises are due (a reminder) without saying which."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.settings import check_pin

MAX_PIN_LEN = 8
MAX_TRIES = 5
BACKOFF_S = 30.0


@dataclass(slots=True)
class LockVM:
    pin_hash: str
    lock_after_s: float
    locked: bool = True
    entry: str = ""
    message: str = "Enter your PIN"
    tries: int = 0
    blocked_until: float = 0.0
    last_activity: float = 0.0

    def press(self, digit: str, now: float) -> bool:
        """A digit key; returns True when this completed a correct PIN (unlocked)."""
        if now < self.blocked_until:
            self.message = f"Too many tries: wait {self.blocked_until - now:.0f} s"
            return False
        if len(self.entry) < MAX_PIN_LEN:
            self.entry += digit
        return False

    def erase(self) -> None:
        self.entry = self.entry[:-1]

    def submit(self, now: float) -> bool:
        if now < self.blocked_until:
            self.message = f"Too many tries: wait {self.blocked_until - now:.0f} s"
            self.entry = ""
            return False
        if check_pin(self.entry, self.pin_hash):
            self.locked, self.entry, self.tries = False, "", 0
            self.message = "Enter your PIN"
            self.last_activity = now
            return True
        self.tries += 1
        self.entry = ""
        if self.tries >= MAX_TRIES:
            self.blocked_until, self.tries = now + BACKOFF_S, 0
            self.message = f"Too many tries: wait {BACKOFF_S:.0f} s"
        else:
            self.message = "That PIN is not right. Try again."
        return False

    @property
    def dots(self) -> str:
        return " ".join("●" for _ in self.entry) or " "

    def touch(self, now: float) -> None:
        self.last_activity = now

    def tick(self, now: float, busy: bool = False) -> bool:
        """Lock after inactivity (never mid-set); True when this call locked."""
        if busy:
            self.last_activity = now
        if not self.locked and now - self.last_activity >= self.lock_after_s:
            self.locked, self.entry = True, ""
            return True
        return False
