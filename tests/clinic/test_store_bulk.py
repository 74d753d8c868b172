"""A group commit larger than one multi-row INSERT (clinic/bulk_insert.py splits the
resources rows into statements of MAX_ROWS_PER_INSERT), on SQLite and a real PostgreSQL:
every record's 'new' flag, session and pain rows are right across the statements, with
copies of one record in different statements and records already held."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from records import START, session_resources

from clinic.bulk_insert import MAX_ROWS_PER_INSERT
from clinic.store import open_store, prepare
from therapy.fhir import resource_identifier


def test_a_group_over_several_statements_flags_and_stores_each_record_once(
        store_db: str | None, tmp_path: Path) -> None:
    store = open_store(tmp_path / "clinic", store_db)
    try:
        sessions = 120  # x 3 resources: 360 rows, three statements (166 rows each at most)
        resources = [r for i in range(sessions)
                     for r in session_resources(f"dev-{i % 7}", START + timedelta(hours=i))]
        assert len(resources) > 2 * MAX_ROWS_PER_INSERT
        held = resources[:10]
        assert store.add_prepared([prepare("dev-0", r) for r in held]) == [True] * 10
        # copies: one held already, one of a row in the first statement near the end
        group = resources + [resources[3], resources[5]]
        devices = [f"dev-{(i // 3) % 7}" for i in range(len(resources))] + ["dev-1", "dev-1"]
        added = store.add_prepared([prepare(d, r) for d, r in zip(devices, group)])
        assert added == [False] * 10 + [True] * (len(resources) - 10) + [False, False]
        assert store.count_resources() == len(resources)
        assert store.identifiers() == {resource_identifier(r) for r in resources}
        assert sum(len(store.sessions(f"dev-{d}")) for d in range(7)) == sessions
        assert sum(len(store.pain(f"dev-{d}")) for d in range(7)) == 2 * sessions
        assert store.resources("Bundle")[0]["resourceType"] == "Bundle"
    finally:
        store.close()
