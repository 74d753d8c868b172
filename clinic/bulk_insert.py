"""A group commit's inserts in a few statements (clinic.store ``add_prepared``).

One ``conn.execute`` per row cost ~40 us of SQLAlchemy each on SQLite and a network round
trip each on PostgreSQL (a group of 256 session Bundles: 512 round trips, ~225 ms here).
Here the ``resources`` rows go in multi-row ``INSERT ... VALUES (...), (...) ON CONFLICT DO
NOTHING RETURNING identifier`` statements of up to 999 parameters (the identifiers
returned are the rows that were new, exact even with other processes writing the same
PostgreSQL store), and the session and pain rows in one driver ``executemany`` each
(psycopg 3 pipelines it), with plain tuples in the driver's own parameter style. The SQL
text is built once per row count.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Table

from clinic import schema as t
from clinic.rows import Prepared

# parameters in one statement: SQLite's old limit (3.32 raised it to 32,766), PostgreSQL's
# is 65,535; rows per multi-row INSERT follow from the resources table's column count
MAX_PARAMS_PER_INSERT = 999
MAX_ROWS_PER_INSERT = MAX_PARAMS_PER_INSERT // len(t.resources.columns)


class BulkInsert:
    def __init__(self, paramstyle: str) -> None:
        self._mark = "?" if paramstyle == "qmark" else "%s"
        self._res_cols = [c.name for c in t.resources.columns]
        self._res_sql: dict[int, str] = {}
        self._extra = {kind: (table, [c.name for c in table.columns],
                              self._values_sql(table, 1, "ON CONFLICT DO NOTHING"))
                       for kind, table in (("session", t.sessions), ("pain", t.pain))}

    def _values_sql(self, table: Table, rows: int, tail: str) -> str:
        one = "(" + ", ".join([self._mark] * len(table.columns)) + ")"
        cols = ", ".join(c.name for c in table.columns)
        return f"INSERT INTO {table.name} ({cols}) VALUES {', '.join([one] * rows)} {tail}"

    def _resources_sql(self, rows: int) -> str:
        sql = self._res_sql.get(rows)
        if sql is None:
            sql = self._res_sql[rows] = self._values_sql(
                t.resources, rows, "ON CONFLICT DO NOTHING RETURNING identifier")
        return sql

    def add(self, conn: Connection, records: Sequence[Prepared]) -> list[bool]:
        """Insert ``records`` in the transaction ``conn`` is in; per record, whether its
        identifier was new (a second copy in the same group is a duplicate)."""
        new: set[str] = set()
        cols = self._res_cols
        for start in range(0, len(records), MAX_ROWS_PER_INSERT):
            chunk = records[start:start + MAX_ROWS_PER_INSERT]
            params = tuple(rec.row[c] for rec in chunk for c in cols)
            result = conn.exec_driver_sql(self._resources_sql(len(chunk)), params)
            new.update(r[0] for r in result)
        for kind, (_table, extra_cols, sql) in self._extra.items():
            rows = [tuple(rec.extra[c] for c in extra_cols) for rec in records
                    if rec.kind == kind]
            if rows:
                conn.exec_driver_sql(sql, rows)
        added = []
        for rec in records:
            ident = rec.row["identifier"]
            added.append(ident in new)
            new.discard(ident)  # a second copy in this group is a duplicate
        return added
