"""A real SQLite error where the clinic-link tests need one: a trigger that aborts every
insert into a table of a live database, until the test clears it."""

from __future__ import annotations

import sqlite3
from pathlib import Path


class InsertFault:
    """Every insert into ``table`` of ``db`` fails (``IntegrityError``) until :meth:`clear`."""

    def __init__(self, db: Path, table: str) -> None:
        self.table = table
        self._con = sqlite3.connect(db, isolation_level=None)
        self._con.execute(f"CREATE TRIGGER fault_{table} BEFORE INSERT ON {table} "
                          "BEGIN SELECT RAISE(ABORT, 'injected fault'); END")

    def clear(self) -> None:
        self._con.execute(f"DROP TRIGGER fault_{self.table}")
        self._con.close()
