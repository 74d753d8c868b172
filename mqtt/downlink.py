"""What the device does with messages from the clinic: plans, messages, appointments.

Called on paho's network thread; everything lands in the store. Replies (acks,
rejections) go back through ``enqueue`` (the durable outbox) or ``report`` (status).

``messages/in`` payloads (JSON objects)::

    {"type": "message", "id": "<uuid>", "text": "...", "at": "<ISO time>"}
    {"type": "appointment", "id": "<uuid>", "start_at": "<ISO time>", "minutes": 30}
    {"type": "ack", "id": "<uuid of a patient message>"}
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, Callable, Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from therapy.errors import PlanError, PlanRejected
from therapy.ports import Clock
from therapy.records import Appointment, Direction, Message
from therapy.signing import open_envelope
from therapy.store import Channel, OutboxItem, TherapyStore

log = logging.getLogger(__name__)
MAX_TEXT = 4000
MAX_MINUTES = 600


def out_item(record_id: str, body: dict[str, Any]) -> OutboxItem:
    return OutboxItem(Channel.MESSAGES_OUT, record_id, json.dumps(body).encode())


class Downlink:
    def __init__(self, store: TherapyStore, public_key: Ed25519PublicKey | None, clock: Clock,
                 *, report: Callable[[dict[str, Any]], None],
                 enqueue: Callable[[Sequence[OutboxItem]], None]) -> None:
        self.store = store
        self.public_key = public_key
        self.clock = clock
        self.report = report
        self.notify_outbox = enqueue

    # --- plan ------------------------------------------------------------------------
    def on_plan(self, payload: bytes) -> str:
        """Verify and store a plan; returns "applied", "unchanged" or "rejected"."""
        if not payload:
            return "unchanged"  # retained plan cleared
        current = self.store.current_plan()
        if current is not None:
            try:
                if json.loads(payload).get("plan") == current[1]:
                    return "unchanged"  # the retained plan, delivered again on reconnect
            except (ValueError, AttributeError, UnicodeDecodeError, RecursionError):
                pass
        try:
            if self.public_key is None:
                raise PlanRejected("no_key", "no clinic_public_key configured on the device")
            plan, text = open_envelope(payload, self.public_key, now=self.clock.now(),
                                       current=current[0] if current else None)
        except PlanRejected as exc:
            log.warning("plan rejected (%s): %s; keeping version %s", exc.code, exc,
                        current[0].version if current else "none")
            self.report({"event": "plan_rejected", "code": exc.code, "reason": str(exc),
                         "version": exc.version,
                         "current_version": current[0].version if current else None})
            return "rejected"
        self.store.save_plan(plan, text, self.clock.now())
        log.info("plan %s version %d applied", plan.plan_id, plan.version)
        self.report({"event": "plan_applied", "version": plan.version})
        return "applied"

    # --- messages and appointments ------------------------------------------------
    def on_message_in(self, payload: bytes) -> str:
        """Store a therapist message / appointment and acknowledge it; returns its type."""
        try:
            body = json.loads(payload)
            if not isinstance(body, dict):
                raise ValueError("not an object")
            kind = body.get("type")
            ident = body.get("id")
            if not isinstance(ident, str) or not 0 < len(ident) <= 64:
                raise ValueError("missing id")
            now = self.clock.now()
            if kind == "message":
                text = body.get("text")
                if not isinstance(text, str) or len(text) > MAX_TEXT:
                    raise ValueError("text must be a string")
                msg = Message(ident, Direction.TO_PATIENT, text, _time(body.get("at"), now),
                              acked_at=now)
                self.store.save_message(msg, [self._ack(ident, now)])
            elif kind == "appointment":
                minutes = body.get("minutes")
                if isinstance(minutes, bool) or not isinstance(minutes, int) \
                        or not 0 < minutes <= MAX_MINUTES:
                    raise ValueError("minutes must be 1..600")
                start = _time(body.get("start_at"), None)
                self.store.save_appointment(Appointment(ident, start, minutes))
                self.store.enqueue([self._ack(ident, now)])
            elif kind == "ack":
                self.store.ack_message(ident, now)
                return "ack"
            else:
                raise ValueError(f"unknown type {kind!r}")
        except (ValueError, TypeError, UnicodeDecodeError, RecursionError, PlanError) as exc:
            log.warning("ignoring a bad messages/in payload: %s", exc)
            return "bad"
        self.notify_outbox(())
        return str(kind)

    def _ack(self, ident: str, now: datetime) -> OutboxItem:
        return out_item(f"ack-{ident}", {"type": "ack", "id": ident, "at": now.isoformat()})


def _time(value: Any, default: datetime | None) -> datetime:
    if value is None and default is not None:
        return default
    if not isinstance(value, str):
        raise ValueError("time must be an ISO 8601 string")
    t = datetime.fromisoformat(value)
    if t.tzinfo is None:
        raise ValueError("time needs a time zone")
    return t
