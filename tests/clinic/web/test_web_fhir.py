"""The FHIR read API: searchset Bundles (application/fhir+json) that validate as FHIR R4
(fhir.resources R4B), filtered by code, subject and date, read with a login session or an
integration token; bad parameters get an OperationOutcome."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from starlette.testclient import TestClient
from web_world import World, filled_store

from clinic.web.app import create_app
from therapy.fhir import EXERCISE_CODE, LOINC, PAIN_CODE, ROM_CODE, SNOMED


@pytest.fixture
def api(tmp_path: Path) -> tuple[TestClient, str, World]:
    world = filled_store(tmp_path / "clinic.db", devices=2, days=10)
    app = create_app(world.store, clinic="clinic-a", secret_key="k")
    token = app.state.tokens.add("ehr")
    yield TestClient(app), token, world
    world.store.close()


def _get(c: TestClient, token: str, url: str) -> dict[str, Any]:
    r = c.get(url, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/fhir+json"
    body = r.json()
    Bundle.model_validate(body)  # valid R4 (raises on any error)
    assert body["type"] == "searchset" and body.get("total", 10**9) >= len(body["entry"])
    for e in body["entry"]:  # fhir.resources does not enforce value sets: check ours
        assert e["search"]["mode"] == "match"
        assert e["resource"].get("status", "final") in ("final", "completed")
    return body


def test_pain_observations_by_code_and_subject(api: tuple[TestClient, str, World]) -> None:
    c, token, world = api
    body = _get(c, token, f"/fhir/Observation?code={LOINC}|{PAIN_CODE['code']}"
                          "&subject=Device/dev-000")
    sessions = len(world.store.sessions("dev-000"))
    assert body["total"] == 2 * sessions  # before and after each session
    assert {e["resource"]["subject"]["identifier"]["value"] for e in body["entry"]} == {"dev-000"}
    assert {e["resource"]["valueInteger"] for e in body["entry"]} <= set(range(11))


def test_rom_observations_come_out_of_the_session_bundles(
        api: tuple[TestClient, str, World]) -> None:
    c, token, world = api
    body = _get(c, token, f"/fhir/Observation?code={SNOMED}|{ROM_CODE['code']}"
                          "&subject=dev-001&_count=1000")
    assert body["total"] == sum(len(s.rom_deg) for s in world.store.sessions("dev-001"))
    summaries = _get(c, token, f"/fhir/Observation?code={EXERCISE_CODE['code']}&subject=dev-001")
    assert summaries["total"] == len(world.store.sessions("dev-001"))


def test_date_filters_and_paging(api: tuple[TestClient, str, World]) -> None:
    c, token, world = api
    day = world.now.date().isoformat()
    today = _get(c, token, f"/fhir/Observation?code={LOINC}|{PAIN_CODE['code']}"
                           f"&subject=dev-000&date=ge{day}")
    assert today["total"] == 2  # today's session: before and after
    assert all(e["resource"]["effectiveDateTime"].startswith(day) for e in today["entry"])
    every = _get(c, token, "/fhir/Observation?subject=dev-000&_count=1000")
    seen: list[str] = []
    url = "/fhir/Observation?subject=dev-000&_count=50"
    while url:  # follow next links to the end: every match once, in order
        page = _get(c, token, url)
        seen += [e["fullUrl"] for e in page["entry"]]
        url = next((link["url"].replace("http://testserver", "") for link in page["link"]
                    if link["relation"] == "next"), "")
        assert ("total" in page) == (not url)  # the last page knows the total
    assert seen == [e["fullUrl"] for e in every["entry"]] and len(seen) == every["total"] > 50


def test_questionnaires_and_audit_events(api: tuple[TestClient, str, World]) -> None:
    c, token, world = api
    qr = _get(c, token, "/fhir/QuestionnaireResponse?subject=dev-000")
    assert qr["total"] == len(world.store.sessions("dev-000"))  # one check-in a session day
    audit = _get(c, token, "/fhir/AuditEvent?subject=dev-001")
    assert [e["resource"]["outcomeDesc"] for e in audit["entry"]] == ["bad_signature"]
    assert _get(c, token, "/fhir/AuditEvent?subject=dev-000")["total"] == 0


def test_a_login_session_reads_too(api: tuple[TestClient, str, World]) -> None:
    c, _token, _world = api
    c.app.state.accounts.add("ann", "correct horse battery")
    import re

    page = c.get("/login").text
    csrf = re.search(r'name="csrftoken" value="([^"]+)"', page).group(1)
    c.post("/login", data={"username": "ann", "password": "correct horse battery",
                           "csrftoken": csrf})
    assert c.get("/fhir/AuditEvent").status_code == 200


def test_paging_links_and_a_count_above_the_maximum(api: tuple[TestClient, str, World]) -> None:
    c, token, _world = api
    every = _get(c, token, "/fhir/Observation?subject=dev-000&_count=100000")
    links = {link["relation"]: link["url"] for link in every["link"]}
    assert "_count=1000" in links["self"] and "_offset=0" in links["first"]  # the count used
    assert len(every["entry"]) == every["total"] <= 1000
    second = _get(c, token, "/fhir/Observation?subject=dev-000&_count=20&_offset=20")
    links = {link["relation"]: link["url"] for link in second["link"]}
    assert set(links) == {"self", "first", "previous", "next"}
    assert "_offset=0" in links["previous"] and "_offset=40" in links["next"]
    assert [e["fullUrl"] for e in second["entry"]] == [e["fullUrl"]
                                                       for e in every["entry"][20:40]]
    r = c.get("/fhir/Observation?_offset=10001", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 400 and r.json()["resourceType"] == "OperationOutcome"
    assert "narrow the search" in r.json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize("query", ["subject=../../etc", "date=yesterday",
                                   "subject=" + "x" * 100, "_count=0", "_offset=-1",
                                   "_offset=99999"])
def test_bad_search_parameters_get_an_error_not_data(api: tuple[TestClient, str, World],
                                                     query: str) -> None:
    c, token, _world = api
    r = c.get(f"/fhir/Observation?{query}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 400 and r.json()["resourceType"] == "OperationOutcome"
    assert "entry" not in r.json()
