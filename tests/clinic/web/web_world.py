"""A clinic store filled with real device records (the device's own FHIR builders) for the
web application's tests, browser tests and bench: sessions with reps, pain before/after,
daily check-ins, a plan, device audit events."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from clinic.store import ClinicStore
from kiosk.vm.intake import CHECKIN_ID, RED_FLAGS
from therapy import fhir
from therapy.audit import Actor, AuditKind, AuditOutcome, new_audit
from therapy.records import (
    PainPhase,
    PainReport,
    QuestionnaireAnswers,
    RepRecord,
    SessionRecord,
    new_id,
)

EXERCISE = "knee_extension_seated"
TARGET_DEG = 70.0


def plan_json(version: int, start: datetime, days: int = 120) -> str:
    return json.dumps({
        "plan_id": "p", "version": version,
        "valid_from": (start - timedelta(days=1)).isoformat(),
        "valid_until": (start + timedelta(days=days)).isoformat(),
        "schedule": {"days": ["mon", "tue", "wed", "thu", "fri"], "sessions_per_day": 1},
        "exercises": [{"exercise_id": EXERCISE, "side": "right", "sets": 1, "reps": 10,
                       "target_rom_deg": TARGET_DEG, "hold_s": 2}]})


def session(start: datetime, roms: list[float], before: int, after: int,
            flags: tuple[str, ...] = ()) -> SessionRecord:
    reps = tuple(RepRecord(1, i + 1, 5.0 * i, 5.0 * i + 4, rom, 2.0, 1.2, 1.1,
                           flags if i == len(roms) - 1 else ())
                 for i, rom in enumerate(roms))
    sid = new_id()
    pains = (PainReport(new_id(), before, PainPhase.BEFORE, start, sid),
             PainReport(new_id(), after, PainPhase.AFTER, start + timedelta(minutes=6), sid))
    return SessionRecord(sid, EXERCISE, "right", "knee", start, start + timedelta(minutes=6),
                         1, 10, TARGET_DEG, 2.0, reps, 1, len(roms) >= 10, pains=pains,
                         plan_version=1)


def checkin(at: datetime, red: str | None = None) -> dict[str, Any]:
    answers = [(f"redflag.{k}", k == red) for k, _ in RED_FLAGS] + [("red_flag", red is not None)]
    return fhir.questionnaire_response(
        QuestionnaireAnswers(new_id(), CHECKIN_ID, at, tuple(answers)), "")


def device_records(device: str, now: datetime, days: int, *, seed: int = 0,
                   red_flag_today: bool = False, pain_spike: bool = False,
                   plan_rejected: bool = False) -> list[dict[str, Any]]:
    """``days`` days of one patient's records ending today (weekdays, ROM improving)."""
    rnd = random.Random(seed)
    out: list[dict[str, Any]] = []
    for back in range(days, -1, -1):
        day = (now - timedelta(days=back)).replace(hour=9, minute=0, second=0, microsecond=0)
        if back == 0:  # today's session whatever the weekday (alerts are about today):
            # 09:00, or 30 min ago when earlier, but still today and after its check-in 5 min
            # before it (run at 00:12 UTC, "30 min ago" was yesterday: no session today). In
            # the day's first 11 minutes its end lies a few minutes ahead.
            midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
            day = max(min(day, now - timedelta(minutes=30)), midnight + timedelta(minutes=5))
        elif day.weekday() >= 5 or rnd.random() < 0.15:
            continue
        base = 45.0 + 25.0 * (days - back) / max(days, 1)
        roms = [round(base + rnd.uniform(-6, 6), 1) for _ in range(10)]
        after = 8 if pain_spike and back == 0 else rnd.choice((2, 3))
        rec = session(day, roms, 2, after, ("trunk_lean",) if rnd.random() < 0.3 else ())
        qr = checkin(day - timedelta(minutes=5), "fever" if red_flag_today and back == 0
                     else None)
        qr["subject"] = fhir.subject(device)
        out += [qr, fhir.session_bundle(rec, device)]
        out += [fhir.pain_observation(p, device) for p in rec.pains]
    if plan_rejected:
        rec = new_audit(AuditKind.PLAN_REJECTED, AuditOutcome.FAILURE, Actor.DEVICE,
                        "bad_signature", at=now - timedelta(hours=2))
        out.append(fhir.audit_event(rec.id, rec.at, str(rec.kind), False, str(rec.actor),
                                    rec.detail, device))
    return out


@dataclass
class World:
    store: ClinicStore
    now: datetime
    devices: list[str]


def filled_store(path: Path, *, devices: int = 3, days: int = 30,
                 now: datetime | None = None) -> World:
    """A store with ``devices`` patients: dev-000 has a red flag today and a pain spike,
    dev-001 a rejected plan, the others are quiet."""
    now = now or datetime.now(timezone.utc)
    store = ClinicStore(path)
    names = [f"dev-{i:03d}" for i in range(devices)]
    for i, dev in enumerate(names):
        store.add_plan(dev, 1, plan_json(1, now - timedelta(days=days)))
        store.set_device_state(dev, "online" if i % 2 == 0 else "offline")
        for res in device_records(dev, now, days, seed=i, red_flag_today=i == 0,
                                  pain_spike=i == 0, plan_rejected=i == 1):
            store.add_resource(dev, res)
    return World(store, now, names)
