"""Page latency of the clinic web application: caseload and patient page p50/p95 with
1,000 devices x 90 days of sessions (target p95 <= 200 ms).

The store is filled with the device's own FHIR builders (a session Bundle of 10 reps, pain
before and after, a daily check-in, each weekday with 15 % missed) and written through the
store's own row builders in bulk, each record with its arrival time spread over the 90 days
(as a real clinic's store would hold them), then requests go through the whole ASGI stack
(session cookie, CSRF middleware, templates) with Starlette's TestClient, logged in.
``page_latency()`` returns the rows; ``python -m bench.clinic`` prints them, and so does
``python -m bench.clinic_pages [DEVICES DAYS]``.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

TARGET_P95_MS = 200.0
BATCH_DEVICES = 50


WORLD = Path(__file__).resolve().parents[1] / "tests" / "clinic" / "web"  # web_world.py


def _records(device: str, now: datetime, days: int, rnd: random.Random) -> list[dict[str, Any]]:
    from web_world import device_records  # the same patients the tests see

    return device_records(device, now, days, seed=rnd.randrange(1 << 30),
                          red_flag_today=rnd.random() < 0.05, pain_spike=rnd.random() < 0.05,
                          plan_rejected=rnd.random() < 0.02)


def fill(store: Any, devices: int, days: int, now: datetime) -> int:
    """Bulk-write ``devices`` x ``days`` of records; returns resources written."""
    from sqlalchemy import insert

    from clinic import schema as t
    from clinic.store import _pain_row, _session_row
    from therapy.fhir import PAIN_CODE, resource_identifier

    rnd = random.Random(14)
    total = 0
    if str(WORLD) not in sys.path:
        sys.path.insert(0, str(WORLD))
    for start in range(0, devices, BATCH_DEVICES):
        res_rows, sess_rows, pain_rows, plan_rows, dev_rows = [], [], [], [], []
        for i in range(start, min(start + BATCH_DEVICES, devices)):
            dev = f"dev-{i:04d}"
            from web_world import plan_json

            plan_rows.append({"device": dev, "version": 1, "plan_text": plan_json(
                1, now - timedelta(days=days)), "pushed_at": now.isoformat()})
            dev_rows.append({"device": dev, "state": "online" if i % 3 else "offline",
                             "last_seen": (now - timedelta(days=i % 5)).isoformat()})
            for res in _records(dev, now, days, rnd):
                ident = resource_identifier(res)
                rtype = res["resourceType"]
                at = res.get("timestamp") or res.get("authored") or res.get("recorded") \
                    or res.get("effectiveDateTime")
                res_rows.append({"identifier": ident, "device": dev, "resource_type": rtype,
                                 "received_at": at, "body": json.dumps(res)})
                if rtype == "Bundle":
                    sess_rows.append(_session_row(ident, dev, res))
                elif rtype == "Observation" and any(
                        c.get("code") == PAIN_CODE["code"] for c in res["code"]["coding"]):
                    pain_rows.append(_pain_row(ident, dev, res))
        with store.engine.begin() as conn:
            for table, rows in ((t.resources, res_rows), (t.sessions, sess_rows),
                                (t.pain, pain_rows), (t.plans, plan_rows), (t.devices, dev_rows)):
                if rows:
                    conn.execute(insert(table), rows)
        total += len(res_rows)
    return total


def _ms(samples: list[float]) -> tuple[float, float]:
    qs = statistics.quantiles(samples, n=20, method="inclusive")
    return statistics.median(samples), qs[18]


def page_latency(devices: int = 1000, days: int = 90, requests: int = 40,
                 db: str | None = None) -> list[dict[str, Any]]:
    """Rows ``{"page", "p50_ms", "p95_ms", "first_ms", "n", "devices", "days"}``."""
    from starlette.testclient import TestClient

    from clinic.store import open_store
    from clinic.web.app import create_app

    with tempfile.TemporaryDirectory(prefix="rehab-pages-") as tmp:
        store = open_store(Path(tmp), db)
        now = datetime.now(timezone.utc)
        t0 = time.perf_counter()
        n = fill(store, devices, days, now)
        fill_s = time.perf_counter() - t0
        app = create_app(store, clinic="bench", secret_key="bench")
        app.state.accounts.add("bench", "bench password")
        c = TestClient(app)
        token = re.search(r'name="csrftoken" value="([^"]+)"', c.get("/login").text).group(1)
        c.post("/login", data={"username": "bench", "password": "bench password",
                               "csrftoken": token})
        rnd = random.Random(1)
        rows = []
        for page, url in (("caseload", lambda: "/"),
                          ("patient", lambda: f"/patients/dev-{rnd.randrange(devices):04d}")):
            t1 = time.perf_counter()
            assert c.get(url()).status_code == 200
            first = (time.perf_counter() - t1) * 1000
            samples = []
            for _ in range(requests):
                t1 = time.perf_counter()
                r = c.get(url())
                samples.append((time.perf_counter() - t1) * 1000)
                assert r.status_code == 200
            p50, p95 = _ms(samples)
            rows.append({"page": page, "p50_ms": p50, "p95_ms": p95, "first_ms": first,
                         "n": requests, "devices": devices, "days": days,
                         "resources": n, "fill_s": fill_s})
        store.close()
    return rows


def main(argv: list[str]) -> int:
    devices = int(argv[0]) if argv else 1000
    days = int(argv[1]) if len(argv) > 1 else 90
    rows = page_latency(devices, days)
    print(f"clinic pages: {devices} devices x {days} days ({rows[0]['resources']:,} resources, "
          f"filled in {rows[0]['fill_s']:.1f} s), SQLite, {rows[0]['n']} requests each")
    print(f"{'page':<10} {'first ms':>9} {'p50 ms':>8} {'p95 ms':>8}  target p95 <= "
          f"{TARGET_P95_MS:.0f} ms")
    for r in rows:
        ok = "ok" if r["p95_ms"] <= TARGET_P95_MS else "OVER"
        print(f"{r['page']:<10} {r['first_ms']:>9.1f} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f}  {ok}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
