"""Therapist accounts for the clinic web application: Argon2id password hashes
(argon2-cffi), failed-login lockout with back-off persisted in the store.

The back-off is data plus a pure function (:class:`LockoutPolicy`, :func:`lockout_s`): the
first ``free_failures`` failures in a row cost nothing, then each further failure locks the
account for ``first_lock_s`` doubling up to ``max_lock_s``. A good password during a lock
is refused like a bad one (and does not count), so guessing cannot go faster than the lock.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from clinic.web_schema import web_users
from mqtt.errors import LinkError

USERNAME_RE = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
PASSWORD_MIN = 10
PASSWORD_MAX = 1024  # Argon2 hashes anything; a megabyte "password" is a denial of service


class AccountError(LinkError):
    """A username or password that cannot be used, or an account that does not exist."""


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    free_failures: int = 5
    first_lock_s: float = 30.0
    max_lock_s: float = 900.0


def lockout_s(failures: int, policy: LockoutPolicy) -> float:
    """Seconds an account is locked after ``failures`` failed logins in a row."""
    over = failures - policy.free_failures - 1
    if over < 0:
        return 0.0
    return min(policy.first_lock_s * 2.0 ** min(over, 30), policy.max_lock_s)


class LoginOutcome(StrEnum):
    OK = "ok"
    BAD = "bad"  # unknown user or wrong password (the page says the same for both)
    LOCKED = "locked"


@dataclass(frozen=True, slots=True)
class LoginResult:
    outcome: LoginOutcome
    locked_until: datetime | None = None


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def check_username(name: str) -> str:
    if not USERNAME_RE.fullmatch(name):
        raise AccountError(f"username {name[:80]!r} must be 1-64 of A-Z a-z 0-9 _ . @ -")
    return name


def check_password(password: str) -> str:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise AccountError(f"a password needs {PASSWORD_MIN} to {PASSWORD_MAX} characters")
    return password


class Accounts:
    def __init__(self, engine: Engine, *, policy: LockoutPolicy = LockoutPolicy(),
                 hasher: PasswordHasher | None = None,
                 clock: Callable[[], datetime] = _utc_now) -> None:
        self.engine = engine
        self.policy = policy
        self.hasher = hasher or PasswordHasher()
        self.clock = clock
        # verified against for unknown users, so they take as long as known ones
        self._dummy = self.hasher.hash("not-a-password-of-anyone")

    def add(self, name: str, password: str) -> None:
        row = {"username": check_username(name),
               "password_hash": self.hasher.hash(check_password(password)),
               "created_at": self.clock().isoformat(), "failures": 0, "locked_until": None}
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(web_users).values(**row))
        except IntegrityError as exc:
            raise AccountError(f"user {name!r} exists (remove it first)") from exc

    def remove(self, name: str) -> None:
        with self.engine.begin() as conn:
            if conn.execute(delete(web_users).where(web_users.c.username == name)).rowcount != 1:
                raise AccountError(f"no user {name[:80]!r}")

    def names(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.scalars(select(web_users.c.username).order_by("username")))

    def exists(self, name: str) -> bool:
        with self.engine.connect() as conn:
            return conn.scalar(select(web_users.c.username)
                               .where(web_users.c.username == name)) is not None

    def login(self, name: str, password: str) -> LoginResult:
        """Check a login; counts failures and locks with back-off (persisted)."""
        now = self.clock()
        with self.engine.connect() as conn:
            row = conn.execute(select(web_users.c.password_hash, web_users.c.failures,
                                      web_users.c.locked_until)
                               .where(web_users.c.username == name)).first()
        if row is None or len(password) > PASSWORD_MAX:
            self._verify(self._dummy, "x")
            return LoginResult(LoginOutcome.BAD)
        pw_hash, failures, locked_until = row
        if locked_until and datetime.fromisoformat(locked_until) > now:
            return LoginResult(LoginOutcome.LOCKED, datetime.fromisoformat(locked_until))
        if self._verify(pw_hash, password):
            values: dict[str, object] = {"failures": 0, "locked_until": None}
            if self.hasher.check_needs_rehash(pw_hash):
                values["password_hash"] = self.hasher.hash(password)
            self._set(name, values)
            return LoginResult(LoginOutcome.OK)
        failures += 1
        lock = lockout_s(failures, self.policy)
        until = now + timedelta(seconds=lock) if lock else None
        self._set(name, {"failures": failures,
                         "locked_until": until.isoformat() if until else None})
        return LoginResult(LoginOutcome.LOCKED if until else LoginOutcome.BAD, until)

    def _verify(self, pw_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(pw_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _set(self, name: str, values: dict[str, object]) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(web_users).where(web_users.c.username == name).values(**values))
