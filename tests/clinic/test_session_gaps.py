"""The clinic keeps a session's wearable drop-outs (issue 15): stored on ingest in
``sessions.gaps`` on SQLite and PostgreSQL, summed up for the patient page, returned by the
FHIR API as they came; a Bundle without them is accepted as before; a drop-out that cannot
be right (it ends before it starts, no wearable named, a placement that is no body segment)
gets the whole record refused with a counted reason (``bad_field``), never stored in part."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from starlette.testclient import TestClient

from clinic.check_pool import check_record, fhir_validator
from clinic.session_gaps import gap_summary
from clinic.store import open_store
from clinic.web.app import create_app
from clinic.web.caseload import PlanCache
from clinic.web.patient import load
from mqtt.inbound import Reject
from therapy import fhir
from therapy.records import GapRecord, RepRecord, SessionRecord, new_id

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=timezone.utc)
GAP_CODE = f"{fhir.CODES}|{fhir.GAP_CODE}"


def record(gaps: tuple[GapRecord, ...] = ()) -> SessionRecord:
    return SessionRecord(new_id(), "knee_extension_seated", "right", "knee", T0,
                         T0 + timedelta(minutes=5), 2, 10, 90.0, 2.0,
                         (RepRecord(1, 1, 2.0, 5.0, 80.0, 1.0, 1.5, 1.5),), 2, False,
                         gaps=gaps)


THIGH_TWICE = (GapRecord(1, "ble:F1:00:00:00:00:02", "thigh", 30.0, 35.0, "disconnected",
                         T0 + timedelta(seconds=30)),
               GapRecord(2, "ble:F1:00:00:00:00:02", "thigh", 90.0, 99.0, "out of range",
                         T0 + timedelta(seconds=90)))
SHANK_GONE = GapRecord(2, "ble:F1:00:00:00:00:01", "shank", 120.0, None, "not found")


def test_drop_outs_are_stored_and_a_bundle_without_them_as_before(
        store_db: str | None, tmp_path: Path) -> None:
    store = open_store(tmp_path, store_db)
    try:
        with_gaps, without = record(THIGH_TWICE + (SHANK_GONE,)), record()
        assert store.add_resource("dev-1", fhir.session_bundle(with_gaps, "dev-1"))
        assert store.add_resource("dev-1", fhir.session_bundle(without, "dev-1"))
        rows = {r.identifier: r for r in store.sessions("dev-1")}
        assert rows[f"urn:uuid:{without.id}"].gaps == ()
        assert rows[f"urn:uuid:{with_gaps.id}"].gaps == (
            {"set": 1, "sensor": "ble:F1:00:00:00:00:02", "segment": "thigh",
             "start": "2026-11-29T10:00:30.000+00:00", "duration_s": 5.0, "came_back": True,
             "reason": "disconnected"},
            {"set": 2, "sensor": "ble:F1:00:00:00:00:02", "segment": "thigh",
             "start": "2026-11-29T10:01:30.000+00:00", "duration_s": 9.0, "came_back": True,
             "reason": "out of range"},
            {"set": 2, "sensor": "ble:F1:00:00:00:00:01", "segment": "shank", "start": None,
             "duration_s": None, "came_back": False, "reason": "not found"})
        assert rows[f"urn:uuid:{with_gaps.id}"].reps == 1  # the reps are counted as before
    finally:
        store.close()


def test_the_patient_page_says_which_wearable_and_how_long(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    try:
        rec = record(THIGH_TWICE + (SHANK_GONE,))
        store.add_resource("dev-1", fhir.session_bundle(rec, "dev-1"))
        store.add_resource("dev-1", fhir.session_bundle(
            dataclasses.replace(record(), started_at=T0 + timedelta(hours=1)), "dev-1"))
        view = load(store.engine, PlanCache(), "dev-1", now=T0)
        assert [s.sensor_lost for s in view.sessions] == [
            ("Thigh sensor lost 2x (14 s in all)",
             "Lower leg sensor lost 1x (did not come back before the set ended)"), ()]
    finally:
        store.close()


@pytest.mark.parametrize("gaps, expected", [
    ("", []),
    ('[{"segment": "thigh", "duration_s": 2.4, "came_back": true}]',
     ["Thigh sensor lost 1x (2 s in all)"]),
    ('[{"segment": "forearm", "duration_s": null, "came_back": false},'
     ' {"segment": "forearm", "duration_s": null, "came_back": false}]',
     ["Forearm sensor lost 2x (2x not back before the set ended)"]),
])
def test_gap_summary(gaps: str, expected: list[str]) -> None:
    assert gap_summary(gaps or None) == expected


def _bad(mutate: Any) -> bytes:
    bundle = fhir.session_bundle(record(THIGH_TWICE), "dev-1")
    mutate(bundle["entry"][2]["resource"])
    return json.dumps(bundle).encode()


def _period_reversed(obs: dict[str, Any]) -> None:
    obs["effectivePeriod"]["end"] = "2026-11-29T10:00:10.000+00:00"  # before its start


def _negative_length(obs: dict[str, Any]) -> None:
    obs["valueQuantity"]["value"] = -5.0  # no period (a recovered one): the length says it


def _no_wearable(obs: dict[str, Any]) -> None:
    obs["device"] = {"display": "some sensor"}


def _unknown_placement(obs: dict[str, Any]) -> None:
    obs["component"][1]["valueCodeableConcept"]["coding"][0]["code"] = "left_ear"


@pytest.mark.parametrize("mutate, why", [
    (_period_reversed, "wearable drop-out 1 ends before it starts"),
    (_negative_length, "wearable drop-out 1: its length must be 0..86400 s"),
    (_no_wearable, "wearable drop-out 1 names no wearable"),
    (_unknown_placement, "wearable drop-out 1: placement must be one of"),
])
def test_a_bad_drop_out_refuses_the_record_with_a_reason(mutate: Any, why: str) -> None:
    """The FHIR validator passes each of these (valid R4, wrong facts): the store's rows
    refuse them, as ingest counts refusals (bad_field), before anything is queued."""
    payload = _bad(mutate)
    Bundle.model_validate(json.loads(payload))
    verdict = check_record("dev-1", payload, fhir_validator)
    assert verdict.prepared is None and verdict.reason == Reject.BAD_FIELD
    assert verdict.detail.startswith(why)
    good = check_record("dev-1", json.dumps(fhir.session_bundle(record(THIGH_TWICE),
                                                                "dev-1")).encode(),
                        fhir_validator)
    assert good.prepared is not None and good.reason is None


def test_the_fhir_api_returns_the_drop_outs_as_they_came(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    rec = record(THIGH_TWICE + (SHANK_GONE,))
    sent = fhir.session_bundle(rec, "dev-1")
    store.add_resource("dev-1", sent)
    store.add_resource("dev-1", fhir.session_bundle(record(), "dev-1"))  # none: none found
    app = create_app(store, clinic="clinic-a", secret_key="k")
    token = app.state.tokens.add("ehr")
    try:
        r = TestClient(app).get(f"/fhir/Observation?code={GAP_CODE}&subject=dev-1",
                                headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        body = r.json()
        Bundle.model_validate(body)
        got = [e["resource"] for e in body["entry"]]
        for res in got:
            del res["id"]  # the API names each entry (its fullUrl's uuid)
        assert got == [e["resource"] for e in sent["entry"][2:]]
    finally:
        store.close()
