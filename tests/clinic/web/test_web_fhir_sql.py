"""The FHIR searches narrowed in SQL (clinic/fhir_query.py) answer exactly what a brute-force
filter over every stored record answers, on SQLite and PostgreSQL: every combination of
subject, code and date (FHIR prefixes, partial dates, a session across midnight, a rating
dated by a period, a rating coded under another system, an Observation that is no pain
rating, sessions of two devices starting at the same time, rows whose time column is empty
as a bulk fill leaves it), whole and page by page through the next links, each answer a
valid FHIR R4 searchset (fhir.resources R4B); the migration's backfill of that column."""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import text
from starlette.testclient import TestClient
from web_world import device_records, session

from clinic.store import open_store
from clinic.web.app import create_app
from therapy import fhir
from therapy.fhir import EXERCISE_CODE, LOINC, PAIN_CODE, ROM_CODE, SNOMED, UCUM, URI_ID
from therapy.records import PainPhase, PainReport, new_id

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=timezone.utc)  # a Wednesday
DAYS = 6
PAIN = PAIN_CODE["code"]
SUBJECTS = [None, "dev-000", "Device/dev-001"]
CODES = [None, f"{LOINC}|{PAIN}", PAIN, f"{SNOMED}|{ROM_CODE['code']}",
         EXERCISE_CODE["code"], f"http://example.org/pain|{PAIN}", f"{LOINC}|8867-4"]
DATES: list[list[str]] = [
    [], ["ge2026-11-18"], ["gt2026-11-17"], ["le2026-11-17"], ["lt2026-11-18"],
    ["2026-11-18"], ["eq2026-11"], ["ge2026-11-17T23:59", "lt2026-11-18T00:03"],
    ["gt2026-11-18T00:00:30.000+00:00"], ["le2026-11-14T09"], ["ge2026"], ["lt2026-11-13"],
    ["ge2026-11-1\x00"], ["le2026-11-17\u00e9"]]


def _extras() -> list[tuple[str, dict[str, Any]]]:
    """Records the device builders make only at the edges."""
    # a session from 23:58 to 00:04 whose reps (every 30 s) run past midnight
    late = session(datetime(2026, 11, 17, 23, 58, tzinfo=timezone.utc),
                   [50.0 + i for i in range(10)], 2, 3)
    late = dataclasses.replace(late, reps=tuple(
        dataclasses.replace(r, t_start_s=30.0 * i, t_end_s=30.0 * i + 4)
        for i, r in enumerate(late.reps)))
    # a pain rating dated by a period (pain.at is then empty), one under another system
    by_period = fhir.pain_observation(PainReport(new_id(), 4, PainPhase.BEFORE,
                                                 NOW - timedelta(hours=1)), "dev-000")
    at = by_period.pop("effectiveDateTime")
    by_period["effectivePeriod"] = {"start": at, "end": at}
    other_system = fhir.pain_observation(PainReport(new_id(), 5, PainPhase.AFTER,
                                                    NOW - timedelta(days=1)), "dev-001")
    other_system["code"] = {"coding": [{**PAIN_CODE, "system": "http://example.org/pain"}]}
    # (a copy: the builder's coding is therapy.fhir's PAIN_CODE itself)
    heart = {"resourceType": "Observation", "status": "final",
             "identifier": [{"system": URI_ID, "value": f"urn:uuid:{new_id()}"}],
             "code": {"coding": [{"system": LOINC, "code": "8867-4", "display": "Heart rate"}]},
             "subject": fhir.subject("dev-000"),
             "effectiveDateTime": fhir.ts(NOW - timedelta(hours=2)),
             "valueQuantity": {"value": 72, "unit": "/min", "system": UCUM, "code": "/min"}}
    return [("dev-001", fhir.session_bundle(late, "dev-001")), ("dev-000", by_period),
            ("dev-001", other_system), ("dev-000", heart)]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[tuple[TestClient, str, Any]]:
    db = request.getfixturevalue("pg_cluster").create_database() \
        if request.param == "postgresql" else None
    store = open_store(tmp_path_factory.mktemp("fhir-sql"), db)
    for i, dev in enumerate(("dev-000", "dev-001")):  # same days: sessions start together
        for res in device_records(dev, NOW, DAYS, seed=i, plan_rejected=i == 1):
            store.add_resource(dev, res)
    for dev, res in _extras():
        assert store.add_resource(dev, res)
    with store.engine.begin() as conn:  # rows without their time (a bulk fill's): read always
        conn.execute(text("UPDATE resources SET at = NULL WHERE body LIKE '%8867-4%' OR "
                          "identifier IN (SELECT identifier FROM resources WHERE "
                          "resource_type = 'QuestionnaireResponse' ORDER BY identifier "
                          "LIMIT 3)"))
    app = create_app(store, clinic="clinic-a", secret_key="k")
    yield TestClient(app), app.state.tokens.add("ehr"), store.engine
    store.close()


# --- the brute force: every record read, filtered in Python (the search's meaning) -------
def _has_code(res: dict[str, Any], system: str | None, code: str) -> bool:
    return any(c.get("code") == code and (system is None or c.get("system") == system)
               for c in res.get("code", {}).get("coding", []))


def _date_ok(at: str, dates: list[str]) -> bool:
    for d in dates:
        prefix, v = (d[:2], d[2:]) if d[:2] in ("eq", "ge", "gt", "le", "lt") else ("eq", d)
        head = at[:len(v)]
        if not {"eq": head == v, "ge": head >= v, "gt": head > v, "le": head <= v,
                "lt": head < v}[prefix]:
            return False
    return True


def _with_id(res: dict[str, Any]) -> dict[str, Any]:
    if "id" not in res:
        ident = res.get("identifier") or [{}]
        ident = ident[0] if isinstance(ident, list) else ident
        res["id"] = str(ident.get("value", "")).removeprefix("urn:uuid:")
    return res


@functools.cache
def _stored(engine: Any, rtype: str) -> tuple[list[Any], list[Any]]:
    """Every record of a type, and every session Bundle (the store does not change here)."""
    with engine.connect() as conn:
        alone = conn.execute(text(
            "SELECT device, received_at, identifier, body FROM resources "
            "WHERE resource_type = :t"), {"t": rtype}).all()
        bundles = conn.execute(text(
            "SELECT s.device, s.started_at, s.identifier, r.body FROM sessions s "
            "JOIN resources r ON r.identifier = s.identifier")).all() \
            if rtype == "Observation" else []
    return alone, bundles


def brute_force(engine: Any, rtype: str, subject: str | None, code: str | None,
                dates: list[str]) -> list[dict[str, Any]]:
    device = subject.removeprefix("Device/") if subject else None
    alone, bundles = _stored(engine, rtype)
    system, _, wanted = (code or "").rpartition("|")
    system_ = system or None

    def as_code(c: dict[str, str]) -> bool:
        return code is None or _has_code({"code": {"coding": [c]}}, system_, wanted)

    out: list[dict[str, Any]] = []
    if rtype != "Observation" or as_code(PAIN_CODE):
        out += [_with_id(json.loads(b)) for d, _a, _i, b in sorted(alone, key=lambda r: r[1:3])
                if device in (None, d)]
    if rtype == "Observation" and (as_code(ROM_CODE) or as_code(EXERCISE_CODE)):
        for d, _s, _i, body in sorted(bundles, key=lambda r: r[1:3]):
            if device in (None, d):
                for e in json.loads(body).get("entry", []):
                    res = dict(e["resource"])
                    res["id"] = e["fullUrl"].removeprefix("urn:uuid:")
                    out.append(res)
    when = {"Observation": lambda r: str(r.get("effectiveDateTime")
                                         or r.get("effectivePeriod", {}).get("start", "")),
            "QuestionnaireResponse": lambda r: str(r.get("authored", "")),
            "AuditEvent": lambda r: str(r.get("recorded", ""))}[rtype]
    return [r for r in out if (code is None or rtype != "Observation"
                               or _has_code(r, system_, wanted)) and _date_ok(when(r), dates)]


# --- the API -------------------------------------------------------------------------------
def _get(c: TestClient, token: str, url: str) -> dict[str, Any]:
    r = c.get(url, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    body = r.json()
    Bundle.model_validate(body)  # valid R4 (raises on any error)
    return body


def _query(path: str, subject: str | None, code: str | None, dates: list[str],
           date_name: str = "date") -> str:
    params = [("subject", subject)] * bool(subject) + [("code", code)] * bool(code) \
        + [(date_name, d) for d in dates]
    return f"/fhir/{path}?" + urlencode(params)


def _every_page(c: TestClient, token: str, url: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    while url:
        page = _get(c, token, url)
        seen += [e["resource"] for e in page["entry"]]
        url = next((link["url"].replace("http://testserver", "") for link in page["link"]
                    if link["relation"] == "next"), "")
        assert ("total" in page) == (not url)
        if not url:
            assert page["total"] == len(seen)
    return seen


def test_every_observation_search_matches_the_brute_force(
        api: tuple[TestClient, str, Any]) -> None:
    c, token, engine = api
    nonempty = 0
    for subject in SUBJECTS:
        for code in CODES:
            for dates in DATES:
                url = _query("Observation", subject, code, dates) + "&_count=1000"
                want = brute_force(engine, "Observation", subject, code, dates)
                got = [e["resource"] for e in _get(c, token, url)["entry"]]
                assert got == want, url
                nonempty += bool(want)
    assert nonempty > 100  # the combinations find things, not only nothing


@pytest.mark.parametrize("subject,code,dates", [
    (None, None, ["ge2026-11-17"]), ("dev-001", None, ["ge2026-11-17T23:59"]),
    (None, f"{SNOMED}|{ROM_CODE['code']}", ["2026-11-18"]), (None, None, []),
    (None, PAIN, ["gt2026-11-13", "le2026-11-18T09:10"])])
def test_pages_through_the_next_links_match_the_brute_force(
        api: tuple[TestClient, str, Any], subject: str | None, code: str | None,
        dates: list[str]) -> None:
    c, token, engine = api
    want = brute_force(engine, "Observation", subject, code, dates)
    assert len(want) > 7
    assert _every_page(c, token, _query("Observation", subject, code, dates)
                       + "&_count=7") == want


def test_the_edges_are_found(api: tuple[TestClient, str, Any]) -> None:
    """The records at the edges are in the answers (the brute force agrees, see above)."""
    c, token, _engine = api
    after_midnight = _get(c, token, "/fhir/Observation?subject=dev-001&date=ge2026-11-18"
                                    f"&code={SNOMED}|{ROM_CODE['code']}&_count=1000")["entry"]
    assert any(e["resource"]["effectivePeriod"]["start"].startswith("2026-11-18T00:0")
               for e in after_midnight)  # reps of the session begun at 23:58 the day before
    today = _get(c, token, "/fhir/Observation?subject=dev-000&date=2026-11-18&_count=1000")
    kinds = {e["resource"]["code"]["coding"][0]["code"] for e in today["entry"]}
    assert {PAIN, "8867-4", EXERCISE_CODE["code"], ROM_CODE["code"]} <= kinds
    assert any("effectivePeriod" in e["resource"] and e["resource"]["code"]["coding"][0]
               ["code"] == PAIN for e in today["entry"])  # the rating dated by a period


@pytest.mark.parametrize("path,date_name", [("QuestionnaireResponse", "authored"),
                                            ("AuditEvent", "date")])
def test_questionnaires_and_audit_events_match_the_brute_force(
        api: tuple[TestClient, str, Any], path: str, date_name: str) -> None:
    c, token, engine = api
    for subject in SUBJECTS:
        for dates in DATES:
            url = _query(path, subject, None, dates, date_name)
            want = brute_force(engine, path, subject, None, dates)
            assert _every_page(c, token, url + "&_count=3") == want, url


@pytest.mark.parametrize("wide_rows", [2, 10**9])
def test_both_ways_of_reading_a_date_range_match_the_brute_force(
        api: tuple[TestClient, str, Any], monkeypatch: pytest.MonkeyPatch,
        wide_rows: int) -> None:
    """A range of many records is read in arrival order; a narrow one is found on the time
    index in windows (of 3 here, so a search takes several windows, each continuing after
    the last), read to the end."""
    from clinic import fhir_query as fq

    monkeypatch.setattr(fq, "WIDE_ROWS", wide_rows)
    monkeypatch.setattr(fq, "BODY_BATCHES", (1, 2))
    _c, _token, engine = api
    with engine.connect() as conn:
        for subject in SUBJECTS:
            for code in CODES:
                for dates in DATES[1:]:
                    wanted, filters = fq.parse_code(code), fq.date_filters(dates)
                    device = subject.removeprefix("Device/") if subject else None
                    got = [r for r in fq.observations(conn, device, wanted, filters, 1)
                           if (wanted is None or fq.has_code(r, wanted))
                           and fq.date_ok(fq.obs_date(r), filters)]
                    assert got == brute_force(engine, "Observation", subject, code, dates), \
                        (subject, code, dates)


def test_the_backfill_gives_every_dated_row_the_time_the_search_compares(
        api: tuple[TestClient, str, Any]) -> None:
    from clinic.fhir_query import backfill_times
    from clinic.fhir_time import search_time

    _c, _token, engine = api
    with engine.connect() as conn:
        before = dict(conn.execute(text("SELECT identifier, at FROM resources")).all())
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE resources SET at = NULL"))
            filled = backfill_times(conn)
            after = conn.execute(text("SELECT identifier, resource_type, body, at "
                                      "FROM resources")).all()
            conn.rollback()  # the module's store as it was (some rows without a time)
    finally:
        with engine.connect() as conn:
            assert dict(conn.execute(text("SELECT identifier, at FROM resources")).all()) \
                == before
    dated = [(t, json.loads(b), at) for _i, t, b, at in after
             if t in ("Observation", "QuestionnaireResponse", "AuditEvent")]
    assert filled == len(dated) > 20
    assert all(at == search_time(res) for _t, res, at in dated)
    assert all(at is None for _i, t, _b, at in after if t == "Bundle")


def test_every_resource_reads_back_by_its_full_url(api: tuple[TestClient, str, Any]) -> None:
    """``GET /fhir/{type}/{id}`` on both stores: the session entries are found through the
    session's identifier range (code point order on PostgreSQL too)."""
    c, token, _engine = api
    for rtype in ("Observation", "QuestionnaireResponse", "AuditEvent"):
        entries = _get(c, token, f"/fhir/{rtype}?_count=1000")["entry"]
        assert entries
        for e in entries:
            r = c.get(e["fullUrl"].replace("http://testserver", ""),
                      headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200 and r.json() == e["resource"], e["fullUrl"]
