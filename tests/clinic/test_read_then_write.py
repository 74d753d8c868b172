"""Clinic transactions that read before they write take SQLite's write lock first
(clinic.store.write_transaction): begun deferred, the read pins a WAL snapshot, and a write
another connection commits meanwhile (ingest, all day long) makes their write fail at once
with "database is locked" (SQLITE_BUSY_SNAPSHOT; the busy timeout does not apply). Each is
run here beside a writer committing in a loop on its own connection: none may fail."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert

import clinic.web_schema  # noqa: F401  (the web tables, in the store's metadata)
from clinic import downlink_items
from clinic.schema import resources
from clinic.store import ClinicStore
from clinic.web import notes
from clinic.web_schema import web_audit

RUN_S = 1.5


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ClinicStore]:
    s = ClinicStore(tmp_path / "clinic.db")
    yield s
    s.close()


def _beside_a_writer(store: ClinicStore, call: Callable[[int], object]) -> tuple[int, int]:
    """``call(k)`` over and over for RUN_S while another connection commits writes: (calls,
    the writer's commits)."""
    stop, commits = threading.Event(), [0]

    def writer() -> None:
        while not stop.is_set():
            with store.engine.begin() as conn:
                conn.execute(insert(web_audit).values(
                    at=datetime.now(UTC).isoformat(), actor="ingest", action="x",
                    device="d", what="a write another connection commits"))
            commits[0] += 1
            time.sleep(0.002)  # ingest's pace: hundreds of commits a second

    th = threading.Thread(target=writer)
    th.start()
    k, end = 0, time.monotonic() + RUN_S
    try:
        while time.monotonic() < end:
            call(k)
            k += 1
            time.sleep(0.002)  # a dashboard's pace, not a tight loop: both get turns
    finally:
        stop.set()
        th.join()
    return k, commits[0]


def test_keeping_a_downlink_item_beside_a_writer(store: ClinicStore) -> None:
    calls, commits = _beside_a_writer(store, lambda k: downlink_items.keep(
        store.engine, f"item-{k % 5}", "dev-1", "message", b"{}", datetime.now(UTC)))
    assert calls > 10 and commits > 10


def test_the_caseload_notes_refresh_beside_a_writer(store: ClinicStore) -> None:
    red_flag = {"resourceType": "QuestionnaireResponse", "authored": "2026-11-30T08:00:00Z",
                "questionnaire": "check-in", "item": [
                    {"linkId": "red_flag", "answer": [{"valueBoolean": True}]}]}
    with store.engine.begin() as conn:
        conn.execute(insert(resources).values(
            identifier="qr-1", device="dev-1", resource_type="QuestionnaireResponse",
            received_at=datetime.now(UTC).isoformat(), body=json.dumps(red_flag)))
    calls, commits = _beside_a_writer(store, lambda _k: notes.refresh(store.engine))
    assert calls > 10 and commits > 10
    assert notes.refresh(store.engine) == 0  # the one red flag is held once
