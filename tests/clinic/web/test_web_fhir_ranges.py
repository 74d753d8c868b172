"""clinic/fhir_query.py: a FHIR date filter (prefix, partial date compared as text) becomes
exact ranges on the whole text, and the searches' SQL reads indexes, not whole tables
(SQLite's query plan of what the API runs; PostgreSQL's plans are in the bench notes)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event, text
from starlette.testclient import TestClient
from web_world import device_records

from clinic.fhir_query import date_bounds, date_ok
from clinic.store import ClinicStore
from clinic.web.app import create_app
from therapy.fhir import ROM_CODE, SNOMED

ISO_CHARS = "0123456789-T:.+Z "  # the characters of stored times, and a few others
times = st.text(alphabet=ISO_CHARS, max_size=30)
values = st.builds(lambda y, rest: y + rest, st.from_regex(r"[0-9]{4}", fullmatch=True),
                   st.text(alphabet=ISO_CHARS, max_size=26))


@given(at=times, prefix=st.sampled_from(["eq", "ge", "gt", "le", "lt"]), v=values)
def test_a_date_filter_is_the_same_as_its_ranges(at: str, prefix: str, v: str) -> None:
    lows, highs = date_bounds([(prefix, v)])
    assert date_ok(at, [(prefix, v)]) == (all(at >= lo for lo in lows)
                                          and all(at < hi for hi in highs))


@given(at=st.sampled_from(["2026-11-18T00:00:00.000+00:00", "2026-11-17T23:59:59.999+00:00",
                           "2026-11-18", "2026-11", "2026"]),
       prefix=st.sampled_from(["eq", "ge", "gt", "le", "lt"]),
       v=st.sampled_from(["2026", "2026-11", "2026-11-18", "2026-11-17T23:59",
                          "2026-11-18T00:00:00.000+00:00"]))
def test_partial_dates_at_the_edges(at: str, prefix: str, v: str) -> None:
    lows, highs = date_bounds([(prefix, v)])
    assert date_ok(at, [(prefix, v)]) == (all(at >= lo for lo in lows)
                                          and all(at < hi for hi in highs))


def test_a_value_beyond_ascii_is_left_to_python() -> None:
    assert date_bounds([("ge", "2026-ü")]) == date_bounds([("le", "2026\x00")]) == ([], [])


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str, Any]]:
    store = ClinicStore(tmp_path_factory.mktemp("plans") / "clinic.db")
    now = datetime(2026, 11, 18, 10, 0, tzinfo=timezone.utc)
    for i, dev in enumerate(("dev-000", "dev-001")):
        for res in device_records(dev, now, 5, seed=i):
            store.add_resource(dev, res)
    app = create_app(store, clinic="clinic-a", secret_key="k")
    yield TestClient(app), app.state.tokens.add("ehr"), store.engine
    store.close()


def _plans(planned: tuple[TestClient, str, Any], url: str) -> list[str]:
    """EXPLAIN QUERY PLAN of every SELECT the search ran on resources, pain or sessions."""
    c, token, engine = planned
    ran: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cur: Any, stmt: str, params: Any, _ctx: Any, _many: bool) -> None:
        if stmt.lstrip().upper().startswith("SELECT") and any(
                t in stmt for t in ("resources", "pain", "sessions")):
            ran.append((stmt, params))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert c.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    with engine.connect() as conn:
        return [" | ".join(str(r[-1]) for r in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + stmt, params)) for stmt, params in ran]


@pytest.mark.parametrize("url", [
    "/fhir/Observation?date=ge2026-11-18",  # an EHR polling since yesterday
    "/fhir/Observation?subject=dev-000&date=ge2026-11-17",
    f"/fhir/Observation?code={SNOMED}|{ROM_CODE['code']}",
    f"/fhir/Observation?code={SNOMED}|{ROM_CODE['code']}&date=ge2026-11-18",
    "/fhir/Observation?subject=dev-001",
    "/fhir/QuestionnaireResponse?authored=ge2026-11-18", "/fhir/AuditEvent?date=ge2026-11"])
def test_searches_read_indexes_not_whole_tables(planned: tuple[TestClient, str, Any],
                                                url: str) -> None:
    plans = _plans(planned, url)
    assert plans, "the search ran no SQL on the store's tables"
    for plan in plans:
        assert "SCAN resources" not in plan and "SCAN pain" not in plan, plan
        assert "SCAN sessions" not in plan or "COVERING INDEX sessions_started" in plan, plan
    with planned[2].connect() as conn:  # no statistics: the plans above are SQLite's defaults
        assert not conn.execute(text("SELECT name FROM sqlite_master "
                                     "WHERE name = 'sqlite_stat1'")).all()
