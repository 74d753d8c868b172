"""FHIR searches in SQL: the rows the read API (clinic/web/fhir_api.py) answers from.

The search parameters narrow the rows in the database (subject: the device column; date:
ranges on a text time column; code: which table is read), so a search reads and parses
only the records that can match, in order, and stops once the page is full: an EHR polling
"observations since yesterday" reads a day of records, not the clinic's history.

The SQL narrowing is exact or wider, never narrower: every resource read is still checked
in Python against the search (:func:`date_ok`, :func:`has_code`), which is the meaning of a
search. Times are compared as text, as they are stored (ISO 8601), in code point order
(SQLite's BINARY collation; ``COLLATE "C"`` on PostgreSQL, whatever the database's own).

- Pain ratings (standalone Observations): ``pain.at`` is the Observation's
  ``effectiveDateTime`` text; Observations without a pain row (no device sends any today)
  are read whole when no code is asked for.
- Session Bundles (summary + one Observation per rep): a Bundle's observations lie within
  its session, ``sessions.started_at`` .. ``ended_at`` (the summary's ``effectivePeriod``;
  therapy.fhir dates each rep from the session start), so a date bound on them selects the
  sessions whose span can hold a match; their Bundles are read in pages of identifiers.

Order: standalone Observations by arrival, then session observations by session start,
each with the identifier as tie-break (sessions of many devices start at the same time, and
page 2 must continue page 1); a date search's rows in code point order on PostgreSQL too.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Generator, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, inspect, or_, select, text
from sqlalchemy.engine import Connection

from clinic.schema import pain, resources, sessions
from therapy.fhir import EXERCISE_CODE, PAIN_CODE, ROM_CODE

PREFIXES = ("eq", "ge", "gt", "le", "lt")
DateFilter = tuple[str, str]  # (prefix, ISO text)
Code = tuple[str | None, str]  # (system or None, code)
# what str() makes of a falsy JSON value: a pain row's ``at`` (or a session's start/end)
# holding one of these is not the time the search compares (that comes from elsewhere in
# the resource), so such rows are always read and checked in Python
FALSY_TEXTS = ("", "None", "False", "0", "0.0", "-0.0", "[]", "{}")
BODY_BATCHES = (16, 64, 256)  # session Bundles fetched per query: small first (one page)
WIDE_ROWS = 20_000  # pain ratings in a date range beyond which it is read in arrival order
ID_BUFFER = 512  # identifiers streamed per fetch (a server-side cursor on PostgreSQL)


class SearchError(ValueError):
    """A search parameter that cannot be used (answered 400 with an OperationOutcome)."""


def date_filters(values: Iterable[str]) -> list[DateFilter]:
    """(prefix, ISO text) pairs; compared as text, as times are stored (ISO, UTC)."""
    out = []
    for v in values:
        prefix, rest = (v[:2], v[2:]) if v[:2] in PREFIXES else ("eq", v)
        if not rest[:4].isdigit() or len(rest) > 40:
            raise SearchError(f"date {v[:60]!r} is not [eq|ge|gt|le|lt]YYYY-MM-DD[Thh:mm...]")
        out.append((prefix, rest))
    return out


def date_ok(at: str, filters: list[DateFilter]) -> bool:
    """The search's meaning: ``at`` cut to the filter's length, compared as text."""
    for prefix, v in filters:
        head = at[:len(v)]
        if not {"eq": head == v, "ge": head >= v, "gt": head > v, "le": head <= v,
                "lt": head < v}[prefix]:
            return False
    return True


def date_bounds(filters: list[DateFilter]) -> tuple[list[str], list[str]]:
    """The filters as ranges on the whole text: (lows: ``at >= low``, highs: ``at < high``).

    For a filter value ``v`` of ``n`` characters and ``succ(v)`` (its last character
    incremented): ``at[:n] >= v`` iff ``at >= v``; ``at[:n] < v`` iff ``at < v``;
    ``at[:n] <= v`` iff ``at < succ(v)``; ``at[:n] > v`` iff ``at >= succ(v)``; ``eq`` is
    both ``ge`` and ``le``. Values beyond printable ASCII are left to Python (PostgreSQL
    refuses a NUL in a parameter)."""
    lows, highs = [], []
    for prefix, v in filters:
        if not (v.isascii() and v.isprintable()):
            continue
        succ = v[:-1] + chr(ord(v[-1]) + 1)
        if prefix in ("ge", "eq"):
            lows.append(v)
        if prefix == "gt":
            lows.append(succ)
        if prefix == "lt":
            highs.append(v)
        if prefix in ("le", "eq"):
            highs.append(succ)
    return lows, highs


def parse_code(value: str | None) -> Code | None:
    if value is None:
        return None
    system, _, code = value.rpartition("|")
    return (system or None, code)


def has_code(res: dict[str, Any], code: Code) -> bool:
    return any(c.get("code") == code[1] and (code[0] is None or c.get("system") == code[0])
               for c in res.get("code", {}).get("coding", []))


def _is(code: Code, coding: dict[str, str]) -> bool:
    return has_code({"code": {"coding": [coding]}}, code)


def obs_date(r: dict[str, Any]) -> str:
    return str(r.get("effectiveDateTime") or r.get("effectivePeriod", {}).get("start", ""))


def _c(conn: Connection, col: Any) -> Any:
    """``col`` compared in code point order, as Python compares text."""
    return col.collate("C") if conn.dialect.name == "postgresql" else col


def _with_id(res: dict[str, Any]) -> dict[str, Any]:
    if "id" not in res:
        ident = (res.get("identifier") or [{}])
        ident = ident[0] if isinstance(ident, list) else ident
        res["id"] = str(ident.get("value", "")).removeprefix("urn:uuid:")
    return res


def observations(conn: Connection, device: str | None, code: Code | None,
                 filters: list[DateFilter], want: int) -> Generator[dict[str, Any]]:
    """Observations that may match, in the API's order (check each with date_ok/has_code):
    standalone ones (pain ratings) when no code or the pain code is asked for, then those
    in session Bundles when no code or the ROM or exercise code is asked for. ``want``:
    how many matches the caller reads at most (a page's end, plus one)."""
    if code is None or _is(code, PAIN_CODE):
        yield from _standalone(conn, device, code is None, filters, want)
    if code is None or _is(code, ROM_CODE) or _is(code, EXERCISE_CODE):
        yield from _session_entries(conn, device, filters)


def _standalone(conn: Connection, device: str | None, any_code: bool,
                filters: list[DateFilter], want: int) -> Iterator[dict[str, Any]]:
    r = resources.c
    lows, highs = date_bounds(filters)
    if not lows and not highs:  # no date to narrow by: every Observation, in arrival order
        q = select(r.body).where(r.resource_type == "Observation")
        if device:
            q = q.where(r.device == device)
        rows = _stream(conn, q.order_by(r.received_at, r.identifier))
        yield from (_with_id(json.loads(body)) for (body,) in rows)
        return
    streams = [_dated_pain(conn, device, lows, highs, want)]
    if any_code:
        streams.append(_not_pain(conn, device))
    keyed = heapq.merge(*streams)
    for _ident, body in _bodies(conn, (ident for _at, ident in keyed)):
        yield _with_id(json.loads(body))


def _dated_pain(conn: Connection, device: str | None, lows: list[str], highs: list[str],
                want: int) -> Iterator[tuple[str, str]]:
    """(received_at, identifier) of the pain ratings whose time is in range, in arrival
    order. A range of fewer than WIDE_ROWS ratings is found on pain's time index and put
    in arrival order ``want`` rows at a time (a bounded sort; the next window continues
    after the last row). A wider one is read in arrival order, each row's time checked:
    its matches are common enough that a page comes soon."""
    r, p = resources.c, pain.c
    at = _c(conn, p.at)
    in_range = [*[or_(at >= low, p.at.in_(FALSY_TEXTS)) for low in lows],
                *[at < high for high in highs]]
    if device:
        in_range.append(p.device == device)
    order = (_c(conn, r.received_at), _c(conn, r.identifier))
    wide = conn.execute(select(func.count()).select_from(
        select(p.identifier).where(*in_range).limit(WIDE_ROWS).subquery())).scalar_one()
    rtype: Any = r.resource_type
    if wide < WIDE_ROWS:  # not resources' type index, which gives arrival order: start from
        rtype = rtype.concat("")  # pain's time (a planner hoping to meet matches soon
        # in arrival order reads every rating before a recent one; seen on both backends)
    q = (select(*order).join_from(resources, pain, p.identifier == r.identifier)
         .where(rtype == "Observation", *in_range).order_by(*order))
    if wide >= WIDE_ROWS:
        yield from _stream(conn, q)
        return
    last: tuple[str, str] | None = None
    size = max(want, sum(BODY_BATCHES))  # the bodies are fetched a batch ahead
    while True:
        window = q if last is None else q.where(or_(
            order[0] > last[0], and_(order[0] == last[0], order[1] > last[1])))
        rows = [(str(a), str(i)) for a, i in conn.execute(window.limit(size))]
        yield from rows
        if len(rows) < size:
            return
        last = rows[-1]


def _not_pain(conn: Connection, device: str | None) -> Iterator[tuple[str, str]]:
    """(received_at, identifier) of Observations without a pain row, in arrival order: no
    column holds their time, so a date search reads them all (none, from today's kiosks:
    an index-only anti-join finds that)."""
    r, p = resources.c, pain.c
    q = select(r.identifier).where(r.resource_type == "Observation",
                                   ~exists().where(p.identifier == r.identifier))
    if device:
        q = q.where(r.device == device)
    ids = list(conn.execute(q).scalars())
    keys: list[tuple[str, str]] = []
    for i in range(0, len(ids), 500):
        keys += [(str(a), str(b)) for a, b in conn.execute(
            select(r.received_at, r.identifier).where(r.identifier.in_(ids[i:i + 500])))]
    return iter(sorted(keys))


def _stream(conn: Connection, q: Any) -> Iterator[Any]:
    """Rows read a buffer at a time (a server-side cursor on PostgreSQL)."""
    return (tuple(row) for row in conn.execute(q.execution_options(yield_per=ID_BUFFER)))


def _bodies(conn: Connection, ids: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(identifier, body) of each resource in ``ids``, in that order, fetched in batches
    (the first small: a page often needs few)."""
    for batch in _batches(ids):
        bodies = {str(i): str(b) for i, b in conn.execute(
            select(resources.c.identifier, resources.c.body)
            .where(resources.c.identifier.in_(batch)))}
        yield from ((ident, bodies[ident]) for ident in batch if ident in bodies)


def of_type(conn: Connection, rtype: str, device: str | None) -> Generator[dict[str, Any]]:
    """Every resource of a type (QuestionnaireResponse, AuditEvent) in arrival order: no
    column holds their own time, so a date search checks each in Python."""
    r = resources.c
    q = select(r.body).where(r.resource_type == rtype)
    if device:
        q = q.where(r.device == device)
    rows = _stream(conn, q.order_by(r.received_at, r.identifier))
    yield from (_with_id(json.loads(body)) for (body,) in rows)


def _session_entries(conn: Connection, device: str | None,
                     filters: list[DateFilter]) -> Iterator[dict[str, Any]]:
    s = sessions.c
    lows, highs = date_bounds(filters)
    conds: list[ColumnElement[bool]] = []
    if lows or highs:  # (in code point order throughout: the indexes' order on PostgreSQL)
        ends, starts = _c(conn, s.ended_at), _c(conn, s.started_at)
        unknown = [starts.in_(FALSY_TEXTS), ends.in_(FALSY_TEXTS)]
        conds.append(_span_cond(unknown, ends, starts, lows, highs))
    q = select(s.identifier).where(*conds)
    if device:
        q = q.where(s.device == device)
    # dated: the sessions in range from their time indexes, then sorted (ordered by an
    # expression no index gives: SQLite walked sessions_started in start order to meet
    # the range, reading every session before a recent one)
    start = s.started_at.concat("") if conds else s.started_at
    in_order = q.order_by(_c(conn, start), _c(conn, s.identifier))
    ids = (ident for (ident,) in _stream(conn, in_order))
    for _ident, body in _bodies(conn, ids):  # a session row without its record: skipped
        for entry in json.loads(body).get("entry", []):
            res = dict(entry.get("resource", {}))
            res["id"] = str(entry.get("fullUrl", "")).removeprefix("urn:uuid:")
            yield res


def _span_cond(unknown: Sequence[ColumnElement[bool]], ends: Any, starts: Any, lows: list[str],
               highs: list[str]) -> ColumnElement[bool]:
    """A session can hold a match when it ends at or after every low and starts before
    every high; a session without a usable start or end is always read."""
    return or_(*unknown, and_(*[ends >= low for low in lows],
                              *[starts < high for high in highs]))


def _batches(ids: Iterable[str]) -> Iterator[list[str]]:
    sizes = iter(BODY_BATCHES)
    size = next(sizes)
    batch: list[str] = []
    for ident in ids:
        batch.append(ident)
        if len(batch) >= size:
            yield batch
            batch = []
            size = next(sizes, size)
    if batch:
        yield batch


# Migration step (clinic.migrations appends it): the indexes these searches need. Sessions
# in start order (a code search over the clinic streams them; the identifier breaks ties),
# by end (a session can hold observations since a date when it ends after it), and the
# Observations' identifiers (the anti-join with pain reads an index, not the records).
# PostgreSQL compares these times in code point order (COLLATE "C"): so are its indexes.
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS sessions_started ON sessions(started_at{c}, identifier{c})",
    "CREATE INDEX IF NOT EXISTS sessions_ended ON sessions(ended_at{c})",
    "CREATE INDEX IF NOT EXISTS pain_at_c ON pain(at{c})",
    "CREATE INDEX IF NOT EXISTS resources_type_identifier ON resources(resource_type, "
    "identifier)",
)


def fhir_search_step(conn: Connection) -> None:
    """Migration step: the FHIR searches' indexes (SQLite and PostgreSQL), on the tables
    present (a store from the SQLite-only days may lack some, as in web_step)."""
    pg = conn.dialect.name == "postgresql"
    have = set(inspect(conn).get_table_names())
    for stmt in _INDEXES:
        table = stmt.split(" ON ", 1)[1].split("(", 1)[0]
        if table not in have or ("pain_at_c" in stmt and not pg):
            continue  # SQLite compares in code point order already: pain_at serves it
        conn.execute(text(stmt.replace("{c}", ' COLLATE "C"' if pg else "")))
