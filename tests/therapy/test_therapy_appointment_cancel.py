"""Moving and cancelling an appointment on the device (the clinic's web page does both):
a second envelope with the same id replaces the time, one with ``cancelled`` removes it
and is acknowledged in the same transaction; a ``cancelled`` that is not true/false is
refused as invalid and changes nothing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from mqtt.downlink import Downlink
from therapy.clinic_items import AppointmentCancelled, open_clinic_item, seal_appointment
from therapy.ports import FakeClock
from therapy.signing import Kind, new_private_key, public_key_to_b64, seal_body
from therapy.store import Channel, TherapyStore

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
KEY = new_private_key()
START = NOW + timedelta(days=2)


def _appt(start: datetime, minutes: int = 30, cancelled: bool = False) -> bytes:
    return seal_appointment("a-1", start, minutes, KEY, clinic="c1", device="d1",
                            issued_at=NOW, cancelled=cancelled)


def test_open_gives_a_cancellation() -> None:
    item = open_clinic_item(_appt(START, cancelled=True), KEY.public_key(), clinic="c1",
                            device="d1", now=NOW)
    assert item == AppointmentCancelled("a-1")


def test_moved_then_cancelled_on_the_device(tmp_path: Path) -> None:
    store = TherapyStore(tmp_path / "rehab.db")
    events: list[dict[str, object]] = []
    down = Downlink(store, public_key_to_b64(KEY.public_key()), FakeClock(NOW), clinic="c1",
                    device="d1", report=events.append, enqueue=lambda _items: None)
    assert down.on_message_in(_appt(START)) == "appointment"
    assert down.on_message_in(_appt(START + timedelta(hours=3), 45)) == "appointment"
    assert [(a.id, a.start_at, a.minutes) for a in store.appointments()] == [
        ("a-1", START + timedelta(hours=3), 45)]
    bad = seal_body(Kind.APPOINTMENT, {"id": "a-1", "start_at": START.isoformat(),
                                       "minutes": 30, "cancelled": "yes"}, KEY,
                    clinic="c1", device="d1", issued_at=NOW)
    assert down.on_message_in(bad) == "rejected"
    assert events[-1]["code"] == "invalid" and len(store.appointments()) == 1
    acked = len(store.outbox_batch())
    assert down.on_message_in(_appt(START, cancelled=True)) == "cancelled"
    assert store.appointments() == []
    rows = store.outbox_batch()
    assert len(rows) == acked + 1 and rows[-1].channel == Channel.MESSAGES_OUT
    assert json.loads(rows[-1].payload) == {"type": "ack", "id": "a-1", "at": NOW.isoformat()}
