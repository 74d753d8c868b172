"""Migration 7 on a store that holds records (SQLite and PostgreSQL): a store written before
``resources.at`` existed opens at the current version with every dated record's time filled,
and its date searches answer as a store written since."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import text
from starlette.testclient import TestClient
from web_world import device_records

from clinic.fhir_time import search_time
from clinic.migrations import MIGRATIONS
from clinic.store import open_store
from clinic.web.app import create_app

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=timezone.utc)
SEARCHES = ["/fhir/Observation?date=ge2026-11-17&_count=1000",
            "/fhir/QuestionnaireResponse?authored=le2026-11-16&_count=1000",
            "/fhir/AuditEvent?date=2026-11&_count=1000"]


def _answers(store: Any) -> list[list[dict[str, Any]]]:
    app = create_app(store, clinic="clinic-a", secret_key="k")
    token = app.state.tokens.add(f"ehr-{len(app.state.tokens.names())}")
    c = TestClient(app)
    out = []
    for url in SEARCHES:
        r = c.get(url, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        out.append([e["resource"] for e in r.json()["entry"]])
    return out


def test_a_store_from_before_the_time_column_is_filled_on_open(store_db: str | None,
                                                               tmp_path: Path) -> None:
    store = open_store(tmp_path, store_db)
    for i, dev in enumerate(("dev-000", "dev-001")):
        for res in device_records(dev, NOW, 5, seed=i, plan_rejected=i == 1):
            store.add_resource(dev, res)
    written_since = _answers(store)
    assert all(written_since)  # each search finds something
    with store.engine.begin() as conn:  # back to version 6: undo steps 7 and later
        conn.execute(text("ALTER TABLE sessions DROP COLUMN gaps"))  # step 9 (drop-outs)
        conn.execute(text("DROP TABLE downlink"))  # step 8 (the downlink resend)
        conn.execute(text("DROP INDEX resources_at"))  # step 7: no column, no index
        conn.execute(text("ALTER TABLE resources DROP COLUMN at"))
        conn.execute(text("UPDATE schema_version SET version = 6"))
    store.close()

    store = open_store(tmp_path, store_db)
    try:
        assert store.schema_version == len(MIGRATIONS) == 9  # a new step: undo it above too
        with store.engine.connect() as conn:
            rows = conn.execute(text("SELECT resource_type, body, at FROM resources")).all()
        for rtype, body, at in rows:
            expected = search_time(json.loads(body)) if rtype != "Bundle" else None
            assert at == expected, (rtype, at)
        assert _answers(store) == written_since
    finally:
        store.close()
