"""A believable history for screenshots, the bench and demos: three weeks of sessions,
pain reports, therapist messages, an upcoming live session and a finished intake."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from kiosk.vm.intake import INTAKE_ID, RED_FLAGS
from therapy.plan import Plan
from therapy.ports import FhirEncoder
from therapy.records import (Appointment, Direction, Message, PainPhase, PainReport,
                             QuestionnaireAnswers, RepRecord, SessionRecord, new_id)
from therapy.store import TherapyStore


def seed(store: TherapyStore, plan: Plan, now: datetime, days: int = 21,
         device_id: str = "demo-kiosk", seed_: int = 7) -> None:
    rng = random.Random(seed_)
    enc = FhirEncoder(device_id)
    for back in range(days, 0, -1):
        if rng.random() < 0.2:
            continue  # a missed day
        day = now - timedelta(days=back)
        progress = 1 - back / (days * 1.6)
        for k, ex in enumerate(plan.exercises):
            start = day.replace(hour=10, minute=5 + 12 * k, second=0, microsecond=0)
            reps = tuple(RepRecord(s + 1, n + 1, 5.0 * n, 5.0 * n + 4, round(
                ex.target_rom_deg * progress * rng.uniform(0.9, 1.05), 1),
                ex.hold_s * rng.uniform(0.7, 1.1), ex.up_s, ex.down_s,
                ("incomplete_rom",) if rng.random() < 0.15 else ())
                for s in range(ex.sets) for n in range(ex.reps))
            sid = new_id()
            pb = min(10, max(0, round(5 - 3 * progress + rng.uniform(-1, 1))))
            pains = (PainReport(new_id(), pb, PainPhase.BEFORE, start, sid),
                     PainReport(new_id(), min(10, pb + rng.choice((0, 0, 1))), PainPhase.AFTER,
                                start + timedelta(minutes=9), sid))
            rec = SessionRecord(sid, ex.exercise_id, str(ex.side), str(ex.exercise.joint),
                                start, start + timedelta(minutes=9), ex.sets, ex.reps,
                                ex.target_rom_deg, ex.hold_s, reps, ex.sets, True,
                                plan.version or None, None, pains)
            store.save_session(rec, enc.session_items(rec))
    answers = (("goals", "Climb stairs, Walk further"), ("condition", "About the same")) + \
        tuple((f"redflag.{k}", False) for k, _ in RED_FLAGS) + (("red_flag", False),)
    q = QuestionnaireAnswers(new_id(), INTAKE_ID, now - timedelta(days=days + 1), answers)
    store.save_questionnaire(q, [enc.questionnaire_item(q)])
    for i, text in enumerate((
            "Good morning! Your knee is bending further every week. Keep the holds slow.",
            "Please add the heel slides after lunch too, if you feel up to it.")):
        store.save_message(Message(f"demo-msg-{i}", Direction.TO_PATIENT, text,
                                   now - timedelta(days=2 - i, hours=3), now))
    store.save_appointment(Appointment("demo-appt", now + timedelta(days=2, hours=3), 30))
