"""Reading a SQLite file afresh, read-only, from another connection: what a next start (or
another process) would find on disk."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


def read_db(db: Path | str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` in the database file ``db``, opened read-only for this one query."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()
