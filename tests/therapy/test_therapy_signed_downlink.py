"""Issue 12 #4 and #5 (dates), device side: signed, bound envelopes through the real
Downlink and a real SQLite store (the broker path is in tests/mqtt)."""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.helpers.plan_samples import valid_plan

from mqtt.downlink import Downlink
from therapy.clinic_items import open_clinic_item, seal_appointment, seal_message
from therapy.errors import PlanError, PlanRejected
from therapy.plan import parse_plan
from therapy.ports import FakeClock
from therapy.signing import (KEY_INVALID_TEXT, MAX_VERSION_STEP, Kind, RejectCode,
                             new_private_key, public_key_to_b64, seal, seal_body)
from therapy.store import TherapyStore

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
KEY = new_private_key()
EXTREME_TIMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                 "2026-06-01T10:00:00", "2026-06-01T10:00:00+00:00"]


class Device:
    """One device: its store, its Downlink and what it reported on the status topic."""

    def __init__(self, tmp: Path, device: str, key_text: str | None = None,
                 clinic: str = "c1") -> None:
        self.store = TherapyStore(tmp / device / "rehab.db")
        self.events: list[dict[str, Any]] = []
        key = public_key_to_b64(KEY.public_key()) if key_text is None else key_text
        self.down = Downlink(self.store, key, FakeClock(NOW), clinic=clinic, device=device,
                             report=self.events.append, enqueue=lambda _items: None)

    def codes(self) -> list[str]:
        return [e["code"] for e in self.events if "code" in e]

    def version(self) -> int | None:
        cur = self.store.current_plan()
        return cur[0].version if cur else None


def plan_env(version: int, device: str, clinic: str = "c1", issued_at: datetime = NOW,
             **plan: Any) -> bytes:
    return seal(json.dumps(valid_plan(version=version, **plan)), KEY, clinic=clinic,
                device=device, issued_at=issued_at)


def test_replayed_plan_of_another_patient_is_refused_and_does_not_block(tmp_path: Path) -> None:
    dev_b = Device(tmp_path, "dev-b")
    a_plan = plan_env(5, "dev-a")  # patient A's real, validly signed plan
    assert dev_b.down.on_plan(a_plan) == "rejected"
    assert dev_b.down.on_plan(plan_env(2, "dev-b", clinic="c2")) == "rejected"
    assert dev_b.version() is None
    assert dev_b.codes() == [RejectCode.WRONG_DEVICE, RejectCode.WRONG_CLINIC]
    assert dev_b.events[0] == {"event": "plan_rejected", "code": "wrong_device",
                               "reason": "made for device 'dev-a', not 'dev-b'",
                               "version": None, "current_version": None}
    # B's own next version, lower than A's, is applied: the replay blocked nothing
    assert dev_b.down.on_plan(plan_env(1, "dev-b")) == "applied"
    assert dev_b.version() == 1
    assert dev_b.down.rejected == {"plan:wrong_device": 1, "plan:wrong_clinic": 1}


def test_version_steps_are_bounded(tmp_path: Path) -> None:
    dev = Device(tmp_path, "dev-1")
    with pytest.raises(PlanError, match="version"):
        parse_plan(valid_plan(version=2**31 - 1))  # could never be replaced
    assert dev.down.on_plan(plan_env(2**31 - 1, "dev-1")) == "rejected"
    assert dev.down.on_plan(plan_env(MAX_VERSION_STEP + 1, "dev-1")) == "rejected"
    assert dev.down.on_plan(plan_env(3, "dev-1")) == "applied"
    assert dev.down.on_plan(plan_env(3 + MAX_VERSION_STEP + 1, "dev-1")) == "rejected"
    assert dev.down.on_plan(plan_env(3 + MAX_VERSION_STEP, "dev-1")) == "applied"
    assert dev.codes() == ["invalid", "version_jump", "version_jump"]
    assert dev.version() == 3 + MAX_VERSION_STEP


def test_a_device_without_a_plan_takes_only_a_fresh_one(tmp_path: Path) -> None:
    dev = Device(tmp_path, "dev-1")
    old = plan_env(1, "dev-1", issued_at=NOW - timedelta(days=31))  # unexpired, but old
    ahead = plan_env(1, "dev-1", issued_at=NOW + timedelta(days=2))
    assert dev.down.on_plan(old) == "rejected"
    assert dev.down.on_plan(ahead) == "rejected"
    assert dev.codes() == [RejectCode.STALE, RejectCode.FROM_FUTURE]
    assert dev.down.on_plan(plan_env(1, "dev-1", issued_at=NOW - timedelta(days=29))) \
        == "applied"
    # with a plan in force, the version decides: an older issue of a newer version is fine
    assert dev.down.on_plan(plan_env(2, "dev-1", issued_at=NOW - timedelta(days=60))) \
        == "applied"


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                                  "1999-12-31T23:59:59+00:00", "2101-01-01T00:00:00+00:00"])
def test_extreme_plan_dates_are_plan_errors(when: str) -> None:
    for field in ("valid_from", "valid_until"):
        plan = valid_plan()
        plan[field] = when
        with pytest.raises(PlanError) as err:
            parse_plan(plan)
        assert err.value.path == field and "2000..2100" in str(err.value)


def test_messages_and_appointments_must_be_signed_for_this_device(tmp_path: Path) -> None:
    dev = Device(tmp_path, "dev-1")
    unsigned = [{"type": "message", "id": "m0", "text": "hi", "at": NOW.isoformat()},
                {"type": "appointment", "id": "a0", "start_at": NOW.isoformat(),
                 "minutes": 30}]
    for body in unsigned:
        assert dev.down.on_message_in(json.dumps(body).encode()) == "rejected"
    other = seal_message("m1", "for someone else", NOW, KEY, clinic="c1", device="dev-2")
    forged = seal_message("m2", "forged", NOW, new_private_key(), clinic="c1", device="dev-1")
    year1 = seal_body(Kind.MESSAGE, {"id": "m3", "text": "old",  # what an old clinic sent
                                     "at": "0001-01-01T00:00:00+14:00"},
                      KEY, clinic="c1", device="dev-1", issued_at=NOW)
    smuggled = seal_body(Kind.MESSAGE, {"id": "m5", "text": "x", "device": "dev-1",
                                        "clinic": "c1"}, KEY, clinic="c1", device="dev-2",
                         issued_at=NOW)  # fields cannot override the binding
    for env in (other, forged, year1, smuggled):
        assert dev.down.on_message_in(env) == "rejected"
    assert dev.codes() == ["unsigned", "unsigned", "wrong_device", "bad_signature",
                           "invalid", "wrong_device"]
    assert "2000..2100" in dev.events[-2]["reason"]
    assert all(e["event"] == "message_rejected" for e in dev.events)
    assert dev.store.messages() == [] and dev.store.appointments() == []

    good = seal_message("m4", "Slow on the way down", NOW, KEY, clinic="c1", device="dev-1")
    appt = seal_appointment("a1", NOW + timedelta(days=1), 30, KEY, clinic="c1",
                            device="dev-1", issued_at=NOW)
    assert dev.down.on_message_in(good) == "message"
    assert dev.down.on_message_in(appt) == "appointment"
    assert [m.text for m in dev.store.messages()] == ["Slow on the way down"]
    assert [(a.id, a.minutes) for a in dev.store.appointments()] == [("a1", 30)]
    assert dev.down.on_message_in(b'{"type": "ack", "id": "m4"}') == "ack"
    assert dev.down.rejected == {"message:unsigned": 2, "message:wrong_device": 2,
                                 "message:bad_signature": 1, "message:invalid": 1}


def test_clinic_cannot_sign_extreme_dates() -> None:
    for when in (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
                 datetime(9999, 12, 31, tzinfo=timezone.utc)):
        with pytest.raises(PlanError, match="2000..2100"):
            seal_appointment("a", when, 30, KEY, clinic="c1", device="d", issued_at=NOW)
        with pytest.raises(PlanError, match="2000..2100"):
            seal_message("m", "x", when, KEY, clinic="c1", device="d")


def test_malformed_clinic_key_refuses_plans_with_a_visible_reason(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, "mqtt.downlink"):
        dev = Device(tmp_path, "dev-1", key_text="not-a-key==")
    assert dev.down.key_error == KEY_INVALID_TEXT == \
        "clinic key invalid: plans cannot be verified"
    assert "clinic_public_key" in caplog.text and "not-a-key" not in caplog.text
    assert dev.down.on_plan(plan_env(1, "dev-1")) == "rejected"
    assert dev.events[-1]["code"] == RejectCode.KEY_INVALID
    assert dev.events[-1]["reason"] == KEY_INVALID_TEXT
    assert dev.version() is None


def test_a_stored_plan_an_older_version_accepted_is_quarantined(tmp_path: Path) -> None:
    """An old version stored version 2**31 - 1 (or year 9999): the device neither crashes
    reading it nor stays blocked behind it."""
    dev = Device(tmp_path, "dev-1")
    poison = json.dumps(valid_plan(version=2**31 - 1, valid_until="9999-12-31T23:59:59Z"))
    db = sqlite3.connect(dev.store.path)
    db.execute("INSERT INTO plans VALUES (?,?,?,?,?,?)",
               (2**31 - 1, "p-17", poison, "2026-01-01T00:00:00+00:00",
                "9999-12-31T23:59:59+00:00", NOW.isoformat()))
    db.commit()
    db.close()
    assert dev.store.current_plan() is None
    assert dev.down.on_plan(plan_env(1, "dev-1")) == "applied"
    assert dev.version() == 1
    assert dev.store.quarantined_plans == {2**31 - 1}


def test_dates_plans_and_envelopes_are_pure(modules_loaded_by: Any) -> None:
    loaded = modules_loaded_by("therapy.dates", "therapy.plan", "therapy.signing",
                               "therapy.clinic_items", "kiosk.vm.quarantine")
    io = ("sqlite3", "paho", "kivy", "bleak", "serial", "cv2")
    assert sorted(m for m in loaded if m.split(".")[0] in io) == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=10), kids,
                                                               max_size=4), max_leaves=12)
item_fields = st.fixed_dictionaries({}, optional={
    "id": json_values | st.text(max_size=70), "text": json_values,
    "at": json_values | st.sampled_from(EXTREME_TIMES), "minutes": json_values,
    "start_at": json_values | st.sampled_from(EXTREME_TIMES)})


@settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from([Kind.MESSAGE, Kind.APPOINTMENT, Kind.PLAN]), item_fields,
       st.sampled_from(["dev-1", "dev-2"]))
def test_signed_item_parser_refuses_with_codes_only(kind: Kind, fields: dict[str, Any],
                                                    device: str) -> None:
    raw = seal_body(kind, fields, KEY, clinic="c1", device=device, issued_at=NOW)
    try:
        item = open_clinic_item(raw, KEY.public_key(), clinic="c1", device="dev-1", now=NOW)
    except PlanRejected as exc:
        assert exc.code in {"invalid", "wrong_kind", "wrong_device"}
    else:
        assert device == "dev-1" and kind != Kind.PLAN
        times = [getattr(item, "at", None), getattr(item, "start_at", None)]
        assert all(t is None or 2000 <= t.year <= 2100 for t in times)
