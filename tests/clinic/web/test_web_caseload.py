"""Caseload alert rules and the patient page on a real store: pain against the patient's
baseline, silence, device security events, sorting, and stored values that are not
numbers (a damaged or hostile row leaves the page up)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from starlette.testclient import TestClient
from web_world import checkin, filled_store, plan_json

from clinic.store import ClinicStore
from clinic.web import notes
from clinic.web.app import create_app
from clinic.web.caseload import Caseload, sort_rows
from therapy import fhir
from therapy.audit import Actor, AuditKind, AuditOutcome, new_audit
from therapy.records import PainPhase, PainReport, new_id

NOW = datetime.now(timezone.utc)


def _pain(store: ClinicStore, device: str, rating: int, at: datetime) -> None:
    store.add_resource(device, fhir.pain_observation(
        PainReport(new_id(), rating, PainPhase.BEFORE, at, new_id()), device))


@pytest.fixture
def store(tmp_path: Path) -> ClinicStore:
    s = ClinicStore(tmp_path / "clinic.db")
    yield s
    s.close()


def _alerts(store: ClinicStore, now: datetime = NOW) -> dict[str, list[str]]:
    notes.refresh(store.engine)
    return {r.device: [a.text for a in r.alerts] for r in Caseload(store.engine).rows(now)}


def test_pain_alerts_against_the_threshold_and_the_baseline(store: ClinicStore) -> None:
    for dev, first, later in (("rise", 2, 5), ("small-rise", 4, 6), ("high", 6, 7),
                              ("old-high", 2, 2)):
        store.set_device_state(dev, "online")
        _pain(store, dev, first, NOW - timedelta(days=30))
        _pain(store, dev, later, NOW - timedelta(days=1))
    _pain(store, "old-high", 9, NOW - timedelta(days=20))  # outside the 7-day window
    got = _alerts(store)
    assert got["rise"] == ["pain 5/10, baseline 2"]
    assert got["small-rise"] == [] and got["old-high"] == []
    assert got["high"] == ["pain 7/10"]


def test_silent_devices_and_device_security_events(store: ClinicStore) -> None:
    store.set_device_state("quiet", "offline")
    store.set_device_state("kiosk", "online")
    rec = new_audit(AuditKind.LOCKED_OUT, AuditOutcome.FAILURE, Actor.DEVICE,
                    "5 wrong PINs", at=NOW - timedelta(hours=1))
    store.add_resource("kiosk", fhir.audit_event(rec.id, rec.at, str(rec.kind), False,
                                                 str(rec.actor), rec.detail, "kiosk"))
    assert _alerts(store) == {"quiet": [], "kiosk": ["locked out: 5 wrong PINs"]}
    later = _alerts(store, datetime.now(timezone.utc) + timedelta(days=4, minutes=1))
    assert later["quiet"] == ["silent 4 days"]


def test_a_red_flag_at_intake_is_named(store: ClinicStore) -> None:
    store.set_device_state("d", "online")
    qr = checkin(NOW - timedelta(hours=2), red="numbness")
    qr["questionnaire"] = "urn:rehab-kiosk:questionnaire:intake"
    store.add_resource("d", qr)
    assert _alerts(store)["d"] == ["red flag in intake: numbness"]
    assert notes.refresh(store.engine) == 0  # read once


def test_sorting_puts_alerts_or_names_first(tmp_path: Path) -> None:
    world = filled_store(tmp_path / "clinic.db", devices=4, days=7)
    rows = Caseload(world.store.engine).rows()
    notes.refresh(world.store.engine)
    rows = Caseload(world.store.engine).rows()
    by_alerts = sort_rows(rows, "alerts", True)
    assert [r.device for r in by_alerts[:2]] == ["dev-000", "dev-001"]  # 2 alerts, then 1
    assert [r.device for r in sort_rows(rows, "device", False)] == world.devices
    world.store.close()


def test_scheduled_days_are_counted_against_the_plan(store: ClinicStore) -> None:
    store.add_plan("d", 1, plan_json(1, NOW - timedelta(days=30)))  # Monday to Friday
    row = Caseload(store.engine).rows(NOW)[0]
    assert row.days_planned == min(NOW.weekday() + 1, 5) and row.days_done == 0
    assert [a.text for a in row.alerts] == ["never heard from"]


def test_the_patient_page_survives_values_that_are_not_numbers(tmp_path: Path) -> None:
    world = filled_store(tmp_path / "clinic.db", devices=1, days=5)
    with world.store.engine.begin() as conn:  # as an older store may hold them
        conn.execute(text("UPDATE sessions SET rom_list = '[\"rom-text-qzx\", 50.5, null, 1e999]', "
                          "mean_rom_deg = 'x', reps = 'many'"))
    app = create_app(world.store, clinic="c", secret_key="k")
    app.state.accounts.add("ann", "correct horse battery")
    c = TestClient(app)
    token = re.search(r'name="csrftoken" value="([^"]+)"', c.get("/login").text).group(1)
    c.post("/login", data={"username": "ann", "password": "correct horse battery",
                           "csrftoken": token})
    r = c.get("/patients/dev-000")
    assert r.status_code == 200 and "<svg" in r.text and "rom-text-qzx" not in r.text
    assert c.get("/").status_code == 200
    assert c.get("/patients/not a device").status_code == 404
    other = c.get("/patients/dev-999/sessions/" + world.store.sessions("dev-000")[0].identifier)
    assert other.status_code == 404  # a session is only shown under its own device
    world.store.close()
