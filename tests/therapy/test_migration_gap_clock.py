"""Migration 8 (the clock pair of a journaled wearable outage) on a store an older program
left: a draft it wrote under schema 7, its process killed mid-set, is stored by the next
start of this program as before: its drop-outs reach the clinic without a time of day."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

from fhir.resources.R4B.bundle import Bundle

from therapy.drafts import recover_drafts
from therapy.journal import DraftHeader, rep_to_json
from therapy.migrations import MIGRATIONS
from therapy.plan import exercise_from_catalogue
from therapy.ports import FhirEncoder
from therapy.records import RepRecord
from therapy.store import TherapyStore

T0 = datetime(2026, 11, 29, 10, 0, tzinfo=timezone.utc)
SID = "0b4f6a1e-2c3d-4e5f-8a9b-0c1d2e3f4a5b"
GAP_CLOCK_STEP = 8  # the migration that added draft_gaps.wall_at and host_s


def schema_7_store_with_a_draft(db: Path) -> None:
    """The store as the program before migration 8 left it: schema 7, one draft (a rep and
    two outages, the rows as its DraftJournal wrote them) of a process that is gone."""
    con = sqlite3.connect(db)
    for step in MIGRATIONS[:GAP_CLOCK_STEP - 1]:
        con.executescript(step)
    con.execute("CREATE TABLE schema_version (version INTEGER)")
    con.execute("INSERT INTO schema_version VALUES (?)", (GAP_CLOCK_STEP - 1,))
    header = DraftHeader.of(exercise_from_catalogue("knee_extension_seated"), T0, 1, None)
    at = (T0 + timedelta(seconds=6)).isoformat()
    con.execute("INSERT INTO session_drafts (session_id, header, owner, sets_done, sources, "
                "last_at) VALUES (?,?,?,?,?,?)",
                (SID, header.to_json(), "another-boot:1:1", 1, '[["ble:T"]]', at))
    con.execute("INSERT INTO draft_reps VALUES (?,?,?,?,?)",
                (SID, 1, 1, rep_to_json(RepRecord(1, 1, 2.0, 5.0, 80.0, 1.0, 1.5, 1.5)), at))
    con.executemany("INSERT INTO draft_gaps (session_id, set_no, sensor_id, segment, start_s, "
                    "end_s, reason) VALUES (?,?,?,?,?,?,?)",
                    [(SID, 1, "ble:T", "thigh", 7.0, 11.0, "disconnected"),
                     (SID, 1, "ble:S", "shank", 12.0, None, "out of range")])
    con.commit()
    con.close()


def test_an_older_programs_draft_recovers_without_a_time_of_day(tmp_path: Path) -> None:
    db = tmp_path / "rehab.db"
    schema_7_store_with_a_draft(db)
    store = TherapyStore(db)  # migrates 7 -> 8
    assert store.schema_version() == len(MIGRATIONS) >= GAP_CLOCK_STEP
    assert store._query("SELECT wall_at, host_s FROM draft_gaps") == [(None, None)] * 2
    [rec] = recover_drafts(store, FhirEncoder("dev-1")).stored
    assert [(g.sensor_id, g.start_s, g.end_s, g.started_at) for g in rec.gaps] == [
        ("ble:T", 7.0, 11.0, None), ("ble:S", 12.0, None, None)]
    [(payload,)] = store._query("SELECT payload FROM outbox WHERE record_id = ?", (SID,))
    bundle = json.loads(payload)
    Bundle.model_validate(bundle)
    gaps = [e["resource"] for e in bundle["entry"][2:]]
    assert [g.get("valueQuantity", {}).get("value") for g in gaps] == [4.0, None]
    assert all("effectivePeriod" not in g for g in gaps)
    assert store._query("SELECT start_s, end_s FROM wearable_gaps ORDER BY start_s") == [
        (7.0, 11.0), (12.0, None)]
    assert store._query("SELECT COUNT(*) FROM draft_gaps") == [(0,)]
    store.close()
