"""Every search entry's ``fullUrl`` can be read (it was a 404: the API had no read), and
``/fhir/metadata`` says what the API takes (a CapabilityStatement an EHR asks for first)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from starlette.testclient import TestClient
from web_world import World, filled_store

from clinic.web.app import create_app
from clinic.web.fhir_api import PARAMS, PAGING

MODELS = {"Observation": "observation", "QuestionnaireResponse": "questionnaireresponse",
          "AuditEvent": "auditevent"}


@pytest.fixture
def api(tmp_path: Path) -> tuple[TestClient, dict[str, str], World]:
    world = filled_store(tmp_path / "clinic.db", devices=2, days=3)
    app = create_app(world.store, clinic="clinic-a", secret_key="k")
    token = app.state.tokens.add("ehr")
    yield TestClient(app), {"Authorization": f"Bearer {token}"}, world
    world.store.close()


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


def test_the_capability_statement_lists_what_each_type_takes(api) -> None:  # type: ignore[no-untyped-def]
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
