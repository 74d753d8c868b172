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


# The clinic's web accounts in these tests hash with Argon2id as the product does, at a
# small cost: argon2-cffi's default (64 MiB, t=3, p=4), which the product keeps, took
# 0.25-0.34 s a hash here and a web test's world hashed three times or more (Accounts'
# dummy for unknown users, the account added, each login), about a second per test. What
# these tests prove (logins, lockout, sessions, CSRF, the accounts CLI) does not depend on
# the cost; a hash made at another cost still verifies (the PHC string carries its
# parameters), and a login rehashes it at the accounts' own cost, as in the product.
TEST_HASH_COST = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


@pytest.fixture(autouse=True)
def _cheap_clinic_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    from functools import partial

    import clinic.accounts
    from argon2 import PasswordHasher

    monkeypatch.setattr(clinic.accounts, "PasswordHasher",
                        partial(PasswordHasher, **TEST_HASH_COST))
