"""FHIR searches in SQL: the rows the read API (clinic/web/fhir_api.py) answers from.

The search parameters narrow the rows in the database (subject: the device column; date:
ranges on a text time column; code: whether standalone Observations or session Bundles are
read), so a search reads and parses
only the records that can match, in order, and stops once the page is full: an EHR polling
"observations since yesterday" reads a day of records, not the clinic's history.

The SQL narrowing is exact or wider, never narrower: every resource read is still checked
in Python against the search (:func:`date_ok`, :func:`has_code`), which is the meaning of a
search. Times are compared as text, as they are stored (ISO 8601), in code point order
(SQLite's BINARY collation; ``COLLATE "C"`` on PostgreSQL, whatever the database's own).

- Resources stored on their own (pain ratings and any other Observation,
  QuestionnaireResponse, AuditEvent): ``resources.at`` holds the very text the search
  compares (clinic/fhir_time.py, stored by ingest; a row without it is always read).
- Session Bundles (summary + one Observation per rep): a Bundle's observations lie within
  its session, ``sessions.started_at`` .. ``ended_at`` (the summary's ``effectivePeriod``;
  therapy.fhir dates each rep from the session start), so a date bound on them selects the
  sessions whose span can hold a match; their Bundles are read in pages of identifiers.

Order: standalone Observations by arrival, then session observations by session start,
each with the identifier as tie-break (sessions of many devices start at the same time, and
page 2 must continue page 1); a date search's rows in code point order on PostgreSQL too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterable, Iterator, Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, inspect, or_, select, text
from sqlalchemy.engine import Connection

from clinic.fhir_time import DATED_TYPES, observation_time, stored_time
from clinic.schema import resources, sessions
from therapy.fhir import CODES, EXERCISE_CODE, GAP_CODE, PAIN_CODE, ROM_CODE

PREFIXES = ("eq", "ge", "gt", "le", "lt")
DateFilter = tuple[str, str]  # (prefix, ISO text)
Code = tuple[str | None, str]  # (system or None, code)
# what str() makes of a falsy JSON value: a session's start or end holding one of these is
# not a time (its observations' times come from elsewhere), so such sessions are always read
FALSY_TEXTS = ("", "None", "False", "0", "0.0", "-0.0", "[]", "{}")
BODY_BATCHES = (16, 64, 256)  # session Bundles fetched per query: small first (one page)
WIDE_ROWS = 20_000  # records in a date range beyond which it is read in arrival order
ID_BUFFER = 512  # identifiers streamed per fetch (a server-side cursor on PostgreSQL)


class SearchError(ValueError):
    """A search parameter that cannot be used (answered 400 with an OperationOutcome)."""


def date_filters(values: Iterable[str]) -> list[DateFilter]:
    """(prefix, ISO text) pairs; compared as text, as times are stored (ISO, UTC): a time
    with a zone (``Z``, ``+01:00``) is taken to UTC first, at the precision given."""
    out = []
    for v in values:
        prefix, rest = (v[:2], v[2:]) if v[:2] in PREFIXES else ("eq", v)
        if not rest[:4].isdigit() or len(rest) > 40:
            raise SearchError(f"date {v[:60]!r} is not [eq|ge|gt|le|lt]YYYY-MM-DD[Thh:mm...]")
        out.append((prefix, utc_text(rest)))
    return out


_ZONE = re.compile(r"(Z|[+-]\d{2}:\d{2})$")


def utc_text(value: str) -> str:
    """``2026-11-30T18:00:00+01:00`` → ``2026-11-30T17:00:00`` (the stored times' UTC,
    as many characters as the time was given with); a time without a zone is as it is."""
    zone = _ZONE.search(value)
    if zone is None or "T" not in value:
        return value
    body = value[:zone.start()]
    try:
        t = datetime.fromisoformat(body + ("+00:00" if zone.group(1) == "Z" else zone.group(1)))
    except ValueError as exc:
        raise SearchError(f"date {value[:60]!r} is not an ISO 8601 time") from exc
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:len(body)]


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


GAP_CODING = {"system": CODES, "code": GAP_CODE}  # a wearable drop-out (therapy.fhir)
obs_date = observation_time  # what an Observation search compares (ingest stores it too)


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
    in session Bundles when no code or the ROM, exercise or wearable drop-out code is
    asked for. ``want``:
    how many matches the caller reads at most (a page's end, plus one)."""
    if code is None or _is(code, PAIN_CODE):
        yield from of_type(conn, "Observation", device, filters, want)
    if code is None or any(_is(code, c) for c in (ROM_CODE, EXERCISE_CODE, GAP_CODING)):
        yield from _session_entries(conn, device, filters)


def of_type(conn: Connection, rtype: str, device: str | None, filters: list[DateFilter],
            want: int) -> Generator[dict[str, Any]]:
    """Resources of a type stored on their own (Observation, QuestionnaireResponse,
    AuditEvent) that may match, in arrival order."""
    r = resources.c
    lows, highs = date_bounds(filters)
    if not lows and not highs:  # no date to narrow by: every one, in arrival order
        q = select(r.body).where(r.resource_type == rtype)
        if device:
            q = q.where(r.device == device)
        rows = _stream(conn, q.order_by(r.received_at, r.identifier))
        yield from (_with_id(json.loads(body)) for (body,) in rows)
        return
    keys = _dated(conn, rtype, device, lows, highs, want)
    for _ident, body in _bodies(conn, (ident for _at, ident in keys)):
        yield _with_id(json.loads(body))


def _dated(conn: Connection, rtype: str, device: str | None, lows: list[str],
           highs: list[str], want: int) -> Iterator[tuple[str, str]]:
    """(received_at, identifier) of the resources of ``rtype`` whose time (``at``) is in
    range or unknown, in arrival order. A range of fewer than WIDE_ROWS is found on the
    time index and put in arrival order a window at a time (a bounded sort; the next window
    continues after the last row); a wider one is read in arrival order, each row's time
    checked: its matches are common enough that a page comes soon."""
    r = resources.c
    at = _c(conn, r.at)
    # (a time unknown on this type only: every session Bundle's is, by design)
    conds: list[ColumnElement[bool]] = [
        or_(and_(r.at.is_(None), r.resource_type == rtype),
            and_(*[at >= low for low in lows], *[at < high for high in highs]))]
    if device:
        conds.append(r.device == device)
    # resources' type index gives arrival order: a planner hoping to meet a recent range
    # soon in that order reads every record before it (seen on both backends); the type
    # compared as an expression leaves it the time index
    by_time = r.resource_type.concat("") == rtype
    wide = conn.execute(select(func.count()).select_from(
        select(r.identifier).where(by_time, *conds).limit(WIDE_ROWS).subquery())).scalar_one()
    order = (_c(conn, r.received_at), _c(conn, r.identifier))
    q = select(*order).where(by_time if wide < WIDE_ROWS else r.resource_type == rtype,
                             *conds).order_by(*order)
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


FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def read(conn: Connection, rtype: str, ident: str) -> tuple[str, dict[str, Any]] | None:
    """(device, resource) of the ``rtype`` whose id is ``ident``, as a search returns it
    (its ``fullUrl``): one stored on its own, or an Observation of a session Bundle (its id
    is the record's UUID with the entry's index in the last 12 hex digits,
    therapy.fhir._entry_uuid); None when there is none."""
    if not FHIR_ID.match(ident):
        return None
    r, s = resources.c, sessions.c
    for device, body in conn.execute(select(r.device, r.body).where(
            r.resource_type == rtype, r.identifier.in_([ident, f"urn:uuid:{ident}"]))):
        res = _with_id(json.loads(body))
        if res.get("id") == ident:
            return str(device), res
    if rtype != "Observation" or len(ident) != 36:
        return None
    like = f"urn:uuid:{ident[:24]}"
    devices = {str(i): str(d) for i, d in conn.execute(select(s.identifier, s.device).where(
        _c(conn, s.identifier) >= like, _c(conn, s.identifier) < like + "\x7f"))}
    for session, body in _bodies(conn, list(devices)):
        for entry in json.loads(body).get("entry", []):
            if entry.get("fullUrl") == f"urn:uuid:{ident}":
                return devices[session], {**entry.get("resource", {}), "id": ident}
    return None


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


# Migration step 6 (clinic.migrations): the indexes these searches first needed. Sessions
# in start order (a code search over the clinic streams them; the identifier breaks ties),
# by end (a session can hold observations since a date when it ends after it), pain by time
# and Observations' identifiers (superseded by step 7, which drops them). PostgreSQL
# compares these times in code point order (COLLATE "C"): so are its indexes.
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS sessions_started ON sessions(started_at{c}, identifier{c})",
    "CREATE INDEX IF NOT EXISTS sessions_ended ON sessions(ended_at{c})",
    "CREATE INDEX IF NOT EXISTS pain_at_c ON pain(at{c})",
    "CREATE INDEX IF NOT EXISTS resources_type_identifier ON resources(resource_type, "
    "identifier)",
)


def fhir_search_step(conn: Connection) -> None:
    """Migration step 6: the FHIR searches' indexes (SQLite and PostgreSQL), on the tables
    present (a store from the SQLite-only days may lack some, as in web_step)."""
    pg = conn.dialect.name == "postgresql"
    have = set(inspect(conn).get_table_names())
    for stmt in _INDEXES:
        table = stmt.split(" ON ", 1)[1].split("(", 1)[0]
        if table not in have or ("pain_at_c" in stmt and not pg):
            continue  # SQLite compares in code point order already: pain_at serves it
        conn.execute(text(stmt.replace("{c}", ' COLLATE "C"' if pg else "")))


def resource_time_step(conn: Connection) -> None:
    """Migration step 7: ``resources.at``, the time a FHIR date search compares, filled
    from every stored Observation, QuestionnaireResponse and AuditEvent; its index (time,
    type); step 6's pain and anti-join indexes dropped (nothing reads them now)."""
    pg = conn.dialect.name == "postgresql"
    conn.execute(text("ALTER TABLE resources ADD COLUMN at TEXT"))
    backfill_times(conn)
    collate = ' COLLATE "C"' if pg else ""
    conn.execute(text(f"CREATE INDEX resources_at ON resources(at{collate}, resource_type)"))
    conn.execute(text("DROP INDEX IF EXISTS pain_at_c"))
    conn.execute(text("DROP INDEX IF EXISTS resources_type_identifier"))


BACKFILL_ROWS = 2000


def backfill_times(conn: Connection) -> int:
    """Fill ``resources.at`` where it is empty on the types that have one (migration step 7;
    a store filled in bulk, as the benches do), in the caller's transaction; rows filled.
    Plain SQL: what the step meant when it shipped, whatever clinic/schema.py says later."""
    read = text("SELECT identifier, body FROM resources WHERE identifier > :last AND at IS "
                "NULL AND resource_type IN :types ORDER BY identifier LIMIT :n"
                ).bindparams(bindparam("types", expanding=True))
    write = text("UPDATE resources SET at = :at WHERE identifier = :i")
    last, filled = "", 0
    while True:
        rows = conn.execute(read, {"last": last, "types": list(DATED_TYPES),
                                   "n": BACKFILL_ROWS}).all()
        if not rows:
            return filled
        found = []
        for ident, body in rows:
            try:
                res = json.loads(body)
            except ValueError:
                continue  # ingest checked it; a damaged row stays unknown (always read)
            at = stored_time(res) if isinstance(res, dict) else None
            if at is not None:
                found.append({"i": ident, "at": at})
        if found:
            conn.execute(write, found)
        filled += len(found)
        last = rows[-1][0]
