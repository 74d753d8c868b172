"""Clinic store fixtures: a throwaway PostgreSQL 15 cluster (once per test session) and a
``store_url`` parametrised over SQLite and PostgreSQL, so every store test runs on both.

A missing ``postgresql`` package fails the test with the install command (never a skip).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.pg_cluster import PgCluster, PgMissing



@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    cluster = PgCluster()
    try:
        cluster.start()
    except PgMissing as exc:
        cluster.stop()
        pytest.fail(str(exc))
    except BaseException:
        cluster.stop()
        raise
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_db(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """The ``--db`` value of a fresh empty store: None (SQLite in the data dir) or a new
    PostgreSQL database's ``postgresql://`` URL."""
    if request.param == "sqlite":
        return None
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database()
