"""The audit of the web application: who viewed or changed which patient's data, and
every login, failed login and logout. One row per event in ``web_audit``."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import NamedTuple

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from clinic.web_schema import web_audit

WHAT_MAX = 300  # a path or field name; longer is cut (a hostile URL must not fill the table)


class AuditRow(NamedTuple):
    at: str
    actor: str
    action: str
    device: str | None
    what: str


class WebAudit:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, actor: str, action: str, what: str, device: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(web_audit).values(
                at=datetime.now(timezone.utc).isoformat(), actor=actor[:80], action=action,
                device=device, what=what[:WHAT_MAX]))

    def rows(self, device: str | None = None, limit: int = 200) -> list[AuditRow]:
        q = select(web_audit.c.at, web_audit.c.actor, web_audit.c.action, web_audit.c.device,
                   web_audit.c.what).order_by(web_audit.c.id.desc()).limit(limit)
        if device is not None:
            q = q.where(web_audit.c.device == device)
        with self.engine.connect() as conn:
            return [AuditRow(*r) for r in conn.execute(q)]
