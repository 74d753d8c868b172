"""The FHIR date search finds a session's reps dated after its wall-clock end (SQLite and
PostgreSQL). ``rehab session --sim ... --reps 4`` ran ~0.3 s of wall clock and ~30 s of reps
(the simulator's clock); the search reads the sessions whose ``started_at`` .. ``ended_at``
can hold a match, and ``date=ge<a rep's time>`` answered 0 where the reps matched: the
session's period, which ingest takes from the summary, now holds its reps."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from starlette.testclient import TestClient

from clinic.rows import prepare
from clinic.store import open_store
from clinic.web.app import create_app
from therapy import fhir
from therapy.records import PainPhase, PainReport, RepRecord, SessionRecord, new_id

T0 = datetime(2026, 11, 18, 10, 0, tzinfo=timezone.utc)
DEVICE = "dev-sim"


def fast_session() -> SessionRecord:
    """Four reps between 2 s and 32 s after the start; the wall clock ran 0.3 s."""
    reps = tuple(RepRecord(1, n, 2.27 + 7.9 * (n - 1), 7.92 + 7.9 * (n - 1), 70.0 + n, 3.9,
                           1.1, 1.1) for n in range(1, 5))
    sid = new_id()
    pains = (PainReport(new_id(), 3, PainPhase.BEFORE, T0, sid),
             PainReport(new_id(), 4, PainPhase.AFTER, T0 + timedelta(seconds=0.3), sid))
    return SessionRecord(sid, "knee_extension_seated", "right", "knee", T0,
                         T0 + timedelta(seconds=0.3), 1, 4, 70.0, 3.0, reps, 1, True,
                         pains=pains)


def test_a_date_search_finds_reps_after_the_wall_clock_end(store_db: str | None,
                                                           tmp_path: Path) -> None:
    store = open_store(tmp_path, store_db)
    try:
        rec = fast_session()
        # as ingest stores them: each payload checked, prepared, then one group commit
        records = [fhir.session_bundle(rec, DEVICE)]
        records += [fhir.pain_observation(p, DEVICE) for p in rec.pains]
        assert all(store.add_prepared([prepare(DEVICE, r, json.dumps(r)) for r in records]))
        app = create_app(store, clinic="clinic-a", secret_key="k")
        token = app.state.tokens.add("ehr")
        after_end = fhir.ts(T0 + timedelta(seconds=10))  # reps 2..4 start after it
        r = TestClient(app).get(
            "/fhir/Observation", params={"date": f"ge{after_end}", "_count": "100"},
            headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        found = [e["resource"] for e in r.json()["entry"]]
        reps = [o for o in found
                if o["code"]["coding"][0]["code"] == fhir.ROM_CODE["code"]]
        assert sorted(o["valueQuantity"]["value"] for o in reps) == [72.0, 73.0, 74.0]
        assert all(o["effectivePeriod"]["start"] >= after_end for o in reps)
        # nothing else: the summary is dated by its start, the pain ratings were at 10:00:00
        # and 10:00:00.3
        assert len(found) == len(reps)
    finally:
        store.close()
