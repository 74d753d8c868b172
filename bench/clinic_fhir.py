"""FHIR read API latency at clinic scale: ``python -m bench.clinic_fhir [--devices N]
[--days N] [--requests N] [--postgresql] [--store DIR]``.

The store bench/clinic_pages.py fills (1,000 devices x 90 days by default: a session Bundle
of 10 reps, pain before and after, a daily check-in, through the device's own FHIR
builders; its rows' search time filled afterwards as migration 7 fills them), then p50/p95 of what an EHR asks ``/fhir`` with an integration token, through
the whole ASGI stack (Starlette's TestClient):

- **subject**: ``Observation?subject=Device/dev-N`` (a random patient each request)
- **code**: ``Observation?code=SNOMED|364564000`` (per-rep ROM, clinic-wide)
- **date**: ``Observation?date=geDAY``, DAY the store's last day ("since yesterday")
- **subject+date**: ``Observation?subject=...&date=geDAY-7``
- **page 2**: the ``next`` link of the date search
- **check-ins by date**: ``QuestionnaireResponse?authored=geDAY``

``--store DIR`` keeps the filled SQLite store there and reuses it on the next run (the fill
takes minutes); ``--postgresql`` fills a throwaway PostgreSQL 15 cluster instead, ``--db URL``
a PostgreSQL database you keep (with ``--store DIR``: reused when DIR says it was filled).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from therapy.fhir import ROM_CODE, SNOMED

TARGET_P95_MS = 200.0
STAMP = "fhir-bench-now.txt"  # the fill's "now", beside a kept store


def _p50_p95(samples: list[float]) -> tuple[float, float]:
    if len(samples) < 2:
        return samples[0], samples[0]
    qs = statistics.quantiles(samples, n=20, method="inclusive")
    return statistics.median(samples), qs[18]


def queries(devices: int, now: datetime, rnd: random.Random) -> list[tuple[str, Callable[[], str]]]:
    day = now.date().isoformat()
    week = (now - timedelta(days=7)).date().isoformat()

    def dev() -> str:
        return f"dev-{rnd.randrange(devices):04d}"

    return [
        ("subject", lambda: f"/fhir/Observation?subject=Device/{dev()}"),
        ("code", lambda: f"/fhir/Observation?code={SNOMED}|{ROM_CODE['code']}"),
        ("date", lambda: f"/fhir/Observation?date=ge{day}"),
        ("subject+date", lambda: f"/fhir/Observation?subject={dev()}&date=ge{week}"),
        ("page 2", lambda: "NEXT"),  # the date search's next link
        ("check-ins by date", lambda: f"/fhir/QuestionnaireResponse?authored=ge{day}"),
    ]


def measure(client: Any, token: str, devices: int, now: datetime,
            requests: int) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"}
    rnd = random.Random(7)
    rows = []
    next_url = ""

    def get(url: str) -> tuple[float, dict[str, Any]]:
        t0 = time.perf_counter()
        r = client.get(url, headers=headers)
        ms = (time.perf_counter() - t0) * 1000
        if r.status_code != 200:
            raise SystemExit(f"{url}: HTTP {r.status_code}: {r.text[:200]}")
        return ms, r.json()

    for name, url_of in queries(devices, now, rnd):
        samples, entries = [], 0
        for _ in range(requests):
            url = url_of()
            if url == "NEXT":
                if not next_url:
                    raise SystemExit("the date search had no next link: nothing to page")
                url = next_url
            ms, body = get(url)
            samples.append(ms)
            entries = len(body.get("entry", []))
            if name == "date":
                next_url = next((link["url"].replace("http://testserver", "")
                                 for link in body["link"] if link["relation"] == "next"), "")
        p50, p95 = _p50_p95(samples)
        rows.append({"query": name, "p50_ms": p50, "p95_ms": p95, "max_ms": max(samples),
                     "entries": entries, "n": requests})
    return rows


def fhir_latency(devices: int, days: int, requests: int, db: str | None,
                 keep: Path | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from starlette.testclient import TestClient

    from bench.clinic_pages import fill
    from clinic.fhir_query import backfill_times
    from clinic.store import open_store
    from clinic.web.app import create_app

    with tempfile.TemporaryDirectory(prefix="rehab-fhir-") as tmp:
        where = keep or Path(tmp)
        stamp = where / STAMP
        reuse = keep is not None and stamp.exists()
        t0 = time.perf_counter()
        store = open_store(where, db)  # opening migrates a kept store
        open_s = time.perf_counter() - t0
        info: dict[str, Any] = {"backend": "PostgreSQL" if db else "SQLite", "open_s": open_s}
        try:
            if reuse:
                now = datetime.fromisoformat(stamp.read_text().strip())
                info["filled"] = f"reused {where}"
            else:
                now = datetime.now(timezone.utc)
                t0 = time.perf_counter()
                n = fill(store, devices, days, now)
                with store.engine.begin() as conn:  # the bulk fill leaves resources.at empty:
                    backfill_times(conn)  # as migration 7 fills a store's stored records
                info["filled"] = f"{n:,} resources in {time.perf_counter() - t0:.0f} s"
                if keep is not None:
                    stamp.write_text(now.isoformat())
            app = create_app(store, clinic="bench", secret_key="bench")
            if "ehr-bench" in app.state.tokens.names():  # a kept store's from the last run
                app.state.tokens.remove("ehr-bench")
            token = app.state.tokens.add("ehr-bench")
            rows = measure(TestClient(app), token, devices, now, requests)
        finally:
            store.close()
    return rows, info


def print_rows(rows: list[dict[str, Any]], info: dict[str, Any], devices: int, days: int) -> None:
    print(f"FHIR read API: {devices} devices x {days} days, {info['backend']} "
          f"({info['filled']}; open {info['open_s']:.1f} s), {rows[0]['n']} requests each, "
          f"target p95 <= {TARGET_P95_MS:.0f} ms")
    print(f"{'query':<18} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9} {'entries':>8}")
    for r in rows:
        ok = "ok" if r["p95_ms"] <= TARGET_P95_MS else "OVER"
        print(f"{r['query']:<18} {r['p50_ms']:>9.1f} {r['p95_ms']:>9.1f} {r['max_ms']:>9.1f} "
              f"{r['entries']:>8}  {ok}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=1000)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--requests", type=int, default=20, help="per query")
    ap.add_argument("--postgresql", action="store_true",
                    help="a throwaway PostgreSQL 15 cluster instead of SQLite")
    ap.add_argument("--store", type=Path, metavar="DIR",
                    help="keep the filled SQLite store (or, with --db, the fill's time) in "
                         "DIR and reuse it next time")
    ap.add_argument("--db", metavar="URL", help="a PostgreSQL database to fill (or, with "
                    "--store, filled by an earlier run) instead of SQLite")
    args = ap.parse_args(argv)
    if args.db:
        rows, info = fhir_latency(args.devices, args.days, args.requests,
                                  args.db, args.store)
    elif args.postgresql:
        from bench.pg_cluster import PgCluster, PgMissing

        try:
            pg = PgCluster().start()
        except PgMissing as exc:
            print(exc, file=sys.stderr)
            return 2
        try:
            rows, info = fhir_latency(args.devices, args.days, args.requests,
                                      pg.create_database(), None)
        finally:
            pg.stop()
    else:
        rows, info = fhir_latency(args.devices, args.days, args.requests, None, args.store)
    print_rows(rows, info, args.devices, args.days)
    return 0


if __name__ == "__main__":
    sys.exit(main())
