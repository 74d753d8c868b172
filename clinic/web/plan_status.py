"""Which plan version each device runs, or why it refused the last one.

The device writes an audit record for every plan it applies (``plan_applied``, detail
``plan <id> version <n>``) or refuses (``plan_rejected``, detail ``<code>: <reason>``) and
sends it as a FHIR AuditEvent (mqtt/downlink.py, therapy/audit.py); ingest stores those
in ``resources``. :func:`plan_states` reads the newest of them per device beside the
newest version pushed (``plans``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from clinic.schema import plans, resources
from therapy.fhir import CODES

APPLIED_DETAIL = re.compile(r"plan (?P<plan>\S+) version (?P<version>\d+)")
SCAN = 200  # newest AuditEvents read per device


@dataclass(frozen=True, slots=True)
class PlanState:
    device: str
    pushed: int | None = None  # the newest version the clinic pushed
    pushed_at: str = ""
    applied: int | None = None  # the newest version the device says it applied
    applied_at: str = ""
    rejected: str = ""  # the device's reason, when its newest plan event is a refusal
    rejected_at: str = ""

    @property
    def summary(self) -> str:
        if self.rejected:
            return "rejected"
        if self.pushed is None:
            return "no plan pushed"
        if self.applied == self.pushed:
            return "applied"
        return "waiting for the device"


def _kind(resource: dict[str, Any]) -> str | None:
    return next((s.get("code") for s in resource.get("subtype", [])
                 if isinstance(s, dict) and s.get("system") == CODES), None)


def device_plan_events(engine: Engine, device: str) -> tuple[tuple[int | None, str],
                                                             tuple[str, str]]:
    """(applied version, at), (rejection reason, at) from the device's newest plan event
    of each kind; a rejection older than the newest application counts as none."""
    r = resources.c
    q = (select(r.body).where(r.device == device, r.resource_type == "AuditEvent")
         .order_by(r.received_at.desc()).limit(SCAN))
    applied: tuple[int | None, str] = (None, "")
    rejected = ("", "")
    with engine.connect() as conn:
        for (body,) in conn.execute(q):
            try:
                event = json.loads(body)
            except ValueError:
                continue
            kind, at = _kind(event), str(event.get("recorded", ""))
            desc = str(event.get("outcomeDesc", ""))[:300]
            if kind == "plan_applied" and applied[0] is None:
                m = APPLIED_DETAIL.search(desc)
                applied = (int(m["version"]) if m else None, at)
                break  # newer rejections were seen first; older ones do not matter
            if kind == "plan_rejected" and not rejected[0]:
                rejected = (desc or "no reason given", at)
    return applied, rejected


def plan_states(engine: Engine, devices: list[str]) -> list[PlanState]:
    p = plans.c
    with engine.connect() as conn:
        pushed = {d: (v, at) for d, v, at in conn.execute(
            select(p.device, func.max(p.version), func.max(p.pushed_at)).group_by(p.device))}
    out = []
    for d in sorted(set(devices) | set(pushed)):
        (applied, applied_at), (rejected, rejected_at) = device_plan_events(engine, d)
        v, at = pushed.get(d, (None, ""))
        out.append(PlanState(d, v, at or "", applied, applied_at, rejected, rejected_at))
    return out
