"""Clinic server figures: ``python -m bench.clinic [--records N] [--no-pages]``.

1. **Store**: records/s through ``ClinicStore`` on SQLite (WAL, synchronous=FULL) and on a
   throwaway PostgreSQL 15 (bench/pg_cluster.py, fsync on): ``add_resource`` (one
   transaction per record, what a lone record costs) and ``add_prepared`` in groups of
   256 (what ingest does under load: clinic/group_commit.py, the payload text stored as
   it came). Target >= 2,000/s SQLite. Each record is a real session Bundle of 10 reps.
2. **End to end**: records from 20 devices' outboxes (real session Bundles, 10 reps,
   ~7 kB) through a loopback Mosquitto to a ClinicWatcher (FHIR validation off) into the
   store, until every outbox is empty (each record committed and its receipt back).
3. **Pages** (the web application's latency, bench/clinic_pages.py): p50/p95 of the
   caseload and a patient page; rows appended to the same table.

Needs Debian ``mosquitto`` and ``postgresql`` (``make test`` installs both).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.outbox import MOSQUITTO, _port, items, start_broker
from bench.pg_cluster import PgCluster, PgMissing

TARGET_SQLITE_PER_S = 2000.0
DEVICES = 20
GROUP = 256


@dataclass(frozen=True, slots=True)
class Row:
    what: str
    backend: str
    records: int
    seconds: float
    note: str = ""

    @property
    def per_s(self) -> float:
        return self.records / self.seconds


def _bundles(n: int) -> list[tuple[str, dict, str]]:  # type: ignore[type-arg]
    """(device, resource, its JSON text as it arrives) for ``n`` session Bundles."""
    import json

    return [(f"dev-{i % DEVICES:02d}", json.loads(it.payload), it.payload.decode())
            for i, it in enumerate(items(n))]


def store_rows(backend: str, db: str | None, workdir: Path, n: int) -> list[Row]:
    from clinic.store import open_store, prepare

    records = _bundles(2 * n)
    store = open_store(workdir / f"store-{backend}", db)
    try:
        t0 = time.perf_counter()
        for device, res, _raw in records[:n]:
            store.add_resource(device, res)
        one = time.perf_counter() - t0
        t0 = time.perf_counter()
        rest = records[n:]
        for i in range(0, n, GROUP):
            store.add_prepared([prepare(d, r, raw) for d, r, raw in rest[i:i + GROUP]])
        grouped = time.perf_counter() - t0
        assert store.count_resources() == 2 * n
    finally:
        store.close()
    return [Row("store, 1 record per transaction", backend, n, one),
            Row(f"store, groups of {GROUP}", backend, n, grouped)]


def e2e_row(backend: str, db: str | None, workdir: Path, n: int) -> Row:
    from clinic.link import ClinicWatcher
    from clinic.store import open_store
    from mqtt.config import load_config
    from mqtt.device import DeviceLink
    from therapy.store import TherapyStore

    port = _port()
    url = f"mqtt://127.0.0.1:{port}"
    (workdir / f"broker-{backend}").mkdir(parents=True)
    broker = start_broker(workdir / f"broker-{backend}", port)
    store = open_store(workdir / f"e2e-{backend}", db)
    cfg = load_config(workdir / f"e2e-{backend}", broker=url, clinic="bench",
                      require_device=False)
    watcher = ClinicWatcher(cfg.broker, "bench", store, validate=None)
    links, outboxes = [], []
    per_device = n // DEVICES
    try:
        watcher.start()
        if not watcher.connected.wait(10):
            raise SystemExit("the bench's clinic watcher did not connect")
        time.sleep(0.2)  # SUBACK
        for d in range(DEVICES):
            dev_dir = workdir / f"dev-{backend}-{d}"
            outbox = TherapyStore(dev_dir / "rehab.db")
            outbox.enqueue(items(per_device))
            outboxes.append(outbox)
            links.append(DeviceLink(load_config(dev_dir, broker=url, device=f"dev-{d:02d}",
                                                clinic="bench"), outbox))
        t0 = time.perf_counter()
        for link in links:
            link.start()
        drained = all(link.wait_drained(300) for link in links)
        seconds = time.perf_counter() - t0
        stored = store.count_resources()
        left = sum(o.outbox_count() for o in outboxes)
    finally:
        for link in links:
            link.stop()
        watcher.stop()
        store.close()
        broker.terminate()
        broker.wait()
    gc = watcher.committer
    note = (f"{gc.batches} commits, largest {gc.largest}" if drained and left == 0 and
            stored == per_device * DEVICES else f"NOT DRAINED: {left} left, {stored} stored")
    return Row(f"end to end, {DEVICES} devices via Mosquitto", backend, per_device * DEVICES,
               seconds, note)


def page_rows() -> list[Row]:
    """The web application's page latency (bench/clinic_pages.py), as rows of this table."""
    try:
        from bench.clinic_pages import page_latency
    except ImportError as exc:
        print(f"(page latency skipped: {exc})")
        return []
    out = []
    for r in page_latency():
        out.append(Row(f"page {r['page']} p50 {r['p50_ms']:.0f} ms", "SQLite", r["n"],
                       r["n"] * r["p50_ms"] / 1000,
                       f"p95 {r['p95_ms']:.0f} ms, {r['devices']} devices x {r['days']} days"))
    return out


def print_table(rows: list[Row]) -> None:
    print(f"{'what':<40} {'backend':<10} {'records':>8} {'s':>7} {'per s':>8}  note")
    for r in rows:
        print(f"{r.what:<40} {r.backend:<10} {r.records:>8} {r.seconds:>7.2f} "
              f"{r.per_s:>8,.0f}  {r.note}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=4000, help="per measurement")
    ap.add_argument("--no-pages", action="store_true", help="skip the page latency rows")
    args = ap.parse_args(argv)
    if not Path(MOSQUITTO).exists():
        print("mosquitto not installed: apt-get install -y mosquitto", file=sys.stderr)
        return 1
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="rehab-bench-clinic-") as tmp:
        work = Path(tmp)
        try:
            pg = PgCluster(work / "pg").start()
        except PgMissing as exc:
            print(exc, file=sys.stderr)
            return 1
        try:
            backends: list[tuple[str, Callable[[], str | None]]] = [
                ("SQLite", lambda: None), ("PostgreSQL", pg.create_database)]
            for name, db in backends:
                rows += store_rows(name, db(), work, args.records)
                rows.append(e2e_row(name, db(), work, args.records))
        finally:
            pg.stop()
    if not args.no_pages:
        rows += page_rows()
    print_table(rows)
    sqlite_best = max(r.per_s for r in rows if r.backend == "SQLite" and "store" in r.what)
    print(f"SQLite store target >= {TARGET_SQLITE_PER_S:,.0f} records/s: "
          f"{'ok' if sqlite_best >= TARGET_SQLITE_PER_S else 'MISSED'} ({sqlite_best:,.0f}/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
