"""The FHIR read API as an EHR integration meets it (found by following the docs with curl):
a parameter it does not support is refused, never ignored (``patient=`` returned every
patient's data); every error under /fhir is an OperationOutcome (``_count=abc`` was
FastAPI's 422 JSON, an unknown path its 404 JSON); a date with a time zone is compared in
UTC (``ge...T18:00:00+01:00`` and ``...Z`` matched nothing); ``bearer`` is the scheme too;
every search entry's ``fullUrl`` can be read (it was a 404: the API had no read), and
``/fhir/metadata`` says what the API takes (a CapabilityStatement an EHR asks for first)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from starlette.testclient import TestClient
from web_world import World, filled_store

from clinic.web.app import create_app
from clinic.web.fhir_api import PAGING, PARAMS
from therapy.fhir import LOINC, PAIN_CODE

PAIN = f"code={LOINC}|{PAIN_CODE['code']}"
MODELS = {"Observation": "observation", "QuestionnaireResponse": "questionnaireresponse",
          "AuditEvent": "auditevent"}


@pytest.fixture
def api(tmp_path: Path) -> tuple[TestClient, dict[str, str], World]:
    world = filled_store(tmp_path / "clinic.db", devices=2, days=3)
    app = create_app(world.store, clinic="clinic-a", secret_key="k")
    token = app.state.tokens.add("ehr")
    yield TestClient(app), {"Authorization": f"Bearer {token}"}, world
    world.store.close()


def _outcome(r: Any, status: int, *words: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/fhir+json"
    body = r.json()
    OperationOutcome.model_validate(body)
    assert "entry" not in body
    text = body["issue"][0]["diagnostics"]
    assert all(w in text for w in words), text


@pytest.mark.parametrize("query, words", [
    ("patient=dev-000", ("patient", "code, date, subject")),
    ("_sort=date", ("_sort",)),
    ("_summary=count", ("_summary",)),
    ("_format=xml", ("JSON only",)),
    ("subject=dev-000&subject=dev-001", ("more than once",)),
    (f"{PAIN},{LOINC}|229065009", ("OR lists",)),
    ("_count=abc", ("_count",)),
    ("_count=0", ("_count",)),
    ("_offset=-1", ("_offset",)),
])
def test_what_a_search_cannot_do_is_refused_with_an_outcome(api, query: str,
                                                            words: tuple[str, ...]) -> None:
    c, auth, _world = api
    _outcome(c.get(f"/fhir/Observation?{query}", headers=auth), 400, *words)


def test_the_parameters_each_type_takes_still_work(api) -> None:  # type: ignore[no-untyped-def]
    c, auth, world = api
    day = world.now.date().isoformat()
    for url in (f"/fhir/Observation?{PAIN}&subject=dev-000&date=ge{day}&date=le{day}"
                "&_count=5&_offset=0&_format=json",
                f"/fhir/QuestionnaireResponse?subject=dev-000&authored=ge{day}",
                f"/fhir/AuditEvent?subject=dev-001&date=ge{day[:4]}"):
        r = c.get(url, headers=auth)
        assert r.status_code == 200, (url, r.text)
    _outcome(c.get(f"/fhir/QuestionnaireResponse?date=ge{day}", headers=auth), 400, "date")


def test_errors_off_the_search_are_outcomes_too(api) -> None:  # type: ignore[no-untyped-def]
    c, auth, _world = api
    _outcome(c.get("/fhir/Patient", headers=auth), 404)
    _outcome(c.post("/fhir/Observation", headers=auth), 405)
    assert c.get("/no-such-page", headers=auth).headers["content-type"] == "application/json"


def test_a_date_with_a_time_zone_is_compared_in_utc(api) -> None:  # type: ignore[no-untyped-def]
    c, auth, world = api
    every = c.get(f"/fhir/Observation?{PAIN}&subject=dev-000&_count=1000", headers=auth).json()
    times = sorted(e["resource"]["effectiveDateTime"] for e in every["entry"])
    last = world.now.__class__.fromisoformat(times[-1])  # the newest pain rating (UTC)
    just_before = last - timedelta(seconds=1)
    plus_one = (just_before + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S") + "+01:00"
    zulu = just_before.strftime("%Y-%m-%dT%H:%M:%S") + "Z"
    for value in (plus_one, zulu):
        got = c.get("/fhir/Observation", headers=auth, params={
            "code": PAIN.removeprefix("code="), "subject": "dev-000", "date": f"ge{value}"})
        assert got.status_code == 200, got.text
        found = [e["resource"]["effectiveDateTime"] for e in got.json()["entry"]]
        assert found == [times[-1]], (value, found)
    after = (last + timedelta(seconds=1, hours=-2)).strftime("%Y-%m-%dT%H:%M:%S") + "-02:00"
    none = c.get("/fhir/Observation", headers=auth, params={
        "code": PAIN.removeprefix("code="), "subject": "dev-000", "date": f"ge{after}"})
    assert none.json()["entry"] == [], after


def test_the_bearer_scheme_in_any_case(api) -> None:  # type: ignore[no-untyped-def]
    c, auth, _world = api
    token = auth["Authorization"].split()[1]
    for scheme in ("bearer", "BEARER", "Bearer"):
        assert c.get("/fhir/AuditEvent", headers={"Authorization": f"{scheme} {token}"}
                     ).status_code == 200
    assert c.get("/fhir/AuditEvent", headers={"Authorization": f"Basic {token}"}
                 ).status_code == 401


@pytest.mark.parametrize("rtype", list(MODELS))
def test_every_full_url_of_a_search_reads_back_its_resource(api, rtype: str) -> None:
    import importlib

    c, auth, _world = api
    model = getattr(importlib.import_module(f"fhir.resources.R4B.{MODELS[rtype]}"), rtype)
    found = c.get(f"/fhir/{rtype}?_count=1000", headers=auth).json()["entry"]
    assert found, rtype
    if rtype == "Observation":  # pain ratings stored alone and the sessions' entries
        codes = {e["resource"]["code"]["coding"][0]["code"] for e in found}
        assert {"72514-3", "229065009", "364564000"} <= codes, codes
    for entry in found:
        got = c.get(entry["fullUrl"].replace("http://testserver", ""), headers=auth)
        assert got.status_code == 200, (entry["fullUrl"], got.text)
        assert got.headers["content-type"] == "application/fhir+json"
        assert got.json() == entry["resource"]
        model.model_validate(got.json())


def test_what_is_not_there_is_a_404_outcome(api) -> None:  # type: ignore[no-untyped-def]
    c, auth, _world = api
    one = c.get("/fhir/Observation?_count=1", headers=auth).json()["entry"][0]
    ident = one["resource"]["id"]
    for url in ("/fhir/Observation/00000000-0000-4000-8000-000000000000",
                f"/fhir/AuditEvent/{ident}",  # the id of another type
                "/fhir/Observation/not*an*id", f"/fhir/Patient/{ident}"):
        r = c.get(url, headers=auth)
        assert r.status_code == 404, (url, r.text)
        OperationOutcome.model_validate(r.json())
    assert c.get(f"/fhir/Observation/{ident}").status_code == 401  # no login, no token


def test_the_capability_statement_lists_what_each_type_takes(  # type: ignore[no-untyped-def]
        api) -> None:
    c, _auth, _world = api
    r = c.get("/fhir/metadata")  # no login: no patient data in it
    assert r.status_code == 200 and r.headers["content-type"] == "application/fhir+json"
    cap = r.json()
    CapabilityStatement.model_validate(cap)
    listed = {res["type"]: {p["name"] for p in res["searchParam"]}
              for res in cap["rest"][0]["resource"]}
    assert listed == {t: allowed - PAGING for t, allowed in PARAMS.items()}
    assert all({i["code"] for i in res["interaction"]} == {"read", "search-type"}
               for res in cap["rest"][0]["resource"])
