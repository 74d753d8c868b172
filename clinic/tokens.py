"""Per-integration API tokens for the FHIR read API (``Authorization: Bearer TOKEN``).

A token is 256 random bits (``secrets.token_urlsafe``), shown once by ``rehab clinic token
add NAME``; the store keeps only its SHA-256 (a fast hash is enough for a random secret of
that size: there is nothing to guess offline), so a copy of the database gives no token.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from clinic.accounts import USERNAME_RE, AccountError
from clinic.web_schema import web_tokens

TOKEN_PREFIX = "rk_"
TOKEN_MAX = 200  # longer bearer values are not ours; refused before hashing


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Tokens:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, name: str) -> str:
        """Make a token for integration ``name``; returns it (the only time it is seen)."""
        if not USERNAME_RE.fullmatch(name):
            raise AccountError(f"token name {name[:80]!r} must be 1-64 of A-Z a-z 0-9 _ . @ -")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(web_tokens).values(
                    name=name, token_sha256=_digest(token),
                    created_at=datetime.now(timezone.utc).isoformat()))
        except IntegrityError as exc:
            raise AccountError(f"token {name!r} exists (remove it first)") from exc
        return token

    def remove(self, name: str) -> None:
        with self.engine.begin() as conn:
            if conn.execute(delete(web_tokens).where(web_tokens.c.name == name)).rowcount != 1:
                raise AccountError(f"no token {name[:80]!r}")

    def names(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.scalars(select(web_tokens.c.name).order_by("name")))

    def who(self, token: str) -> str | None:
        """The integration name a presented token belongs to, or None."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > TOKEN_MAX:
            return None
        with self.engine.connect() as conn:
            return conn.scalar(select(web_tokens.c.name)
                               .where(web_tokens.c.token_sha256 == _digest(token)))
