"""Schema versions: the migrated database matches clinic.schema; older files open as they
are; a database from a newer program is refused and left untouched."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from clinic.errors import SchemaTooNew
from clinic.migrations import MIGRATIONS
from clinic.store import ClinicStore, database_url, open_store


def _columns(url: str) -> dict[str, set[str]]:
    engine = create_engine(url)
    try:
        insp = inspect(engine)
        return {name: {c["name"] for c in insp.get_columns(name)}
                for name in insp.get_table_names()}
    finally:
        engine.dispose()


def test_the_migrated_database_has_exactly_the_declared_tables(store_db: str | None,
                                                                tmp_path: Path) -> None:
    # every module's tables (clinic.schema and whatever else declares on its metadata)
    import importlib
    import pkgutil

    import clinic

    for mod in pkgutil.walk_packages(clinic.__path__, "clinic."):
        if mod.name.endswith(("schema", "tables")):
            importlib.import_module(mod.name)
    store = open_store(tmp_path, store_db)
    store.close()
    declared = {name: {c.name for c in table.columns}
                for name, table in clinic.schema.metadata.tables.items()}
    assert _columns(database_url(store_db, tmp_path)) == declared
    assert store.schema_version == len(MIGRATIONS)


def test_a_clinic_db_from_the_sqlite_only_store_opens_with_its_records(tmp_path: Path) -> None:
    path = tmp_path / "clinic.db"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE schema_version (version INTEGER); INSERT INTO schema_version VALUES (1);
        CREATE TABLE resources (identifier TEXT PRIMARY KEY, device TEXT NOT NULL,
            resource_type TEXT NOT NULL, received_at TEXT NOT NULL, body TEXT NOT NULL);
        INSERT INTO resources VALUES ('r1', 'dev-1', 'Observation', '2026-01-01', '{}');
        CREATE TABLE plans (device TEXT NOT NULL, version INTEGER NOT NULL,
            plan_text TEXT NOT NULL, pushed_at TEXT NOT NULL, PRIMARY KEY (device, version));
        INSERT INTO plans VALUES ('dev-1', 3, 'p3', '2026-01-01');
    """)
    old.close()
    store = ClinicStore(path)
    try:
        assert store.identifiers() == {"r1"} and store.latest_plan("dev-1") == "p3"
        assert store.schema_version == len(MIGRATIONS)
    finally:
        store.close()


def test_a_database_from_a_newer_program_is_refused_and_untouched(store_db: str | None,
                                                                  tmp_path: Path) -> None:
    store = open_store(tmp_path, store_db)
    store.add_plan("dev-1", 1, "p")
    store.close()
    url = database_url(store_db, tmp_path)
    engine = create_engine(url)
    newer = len(MIGRATIONS) + 1
    with engine.begin() as conn:
        conn.execute(text("UPDATE schema_version SET version = :v"), {"v": newer})
    with pytest.raises(SchemaTooNew, match=f"schema version {newer} .* upgrade rehab-kiosk"):
        open_store(tmp_path, store_db)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version FROM schema_version")).scalar() == newer
        assert conn.execute(text("SELECT plan_text FROM plans")).scalar() == "p"
    engine.dispose()


def test_sqlite_store_is_wal_with_full_sync(tmp_path: Path) -> None:
    store = ClinicStore(tmp_path / "clinic.db")
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        store.close()
