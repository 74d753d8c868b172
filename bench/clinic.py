"""Clinic server figures: ``python -m bench.clinic [--records N] [--only KIND...] [--no-pages]``.

1. **Store**: records/s through ``ClinicStore`` on SQLite (WAL, synchronous=FULL) and on a
   throwaway PostgreSQL 15 (bench/pg_cluster.py, fsync on): ``add_resource`` (one
   transaction per record, what a lone record costs) and ``add_prepared`` in groups of
   256 (what ingest does under load: clinic/group_commit.py, the payload text stored as
   it came). Target >= 2,000/s SQLite. Each record is a real session Bundle of 10 reps.
2. **Ingest alone**: another process publishes the records (QoS 1, record ids, no
   outbox) through a loopback Mosquitto; a ClinicWatcher stores them (FHIR validation off,
   and a row with it on), checking them on paho's thread and in ``--check-workers`` worker
   processes (clinic/check_pool.py); time until every record is stored, and the CPU the
   serve process (and its workers) spent per record: wall-clock rates depend on what else
   the machine runs, the CPU per record much less.
3. **Backlog drain** (bench/clinic_drain.py): the broker holds ``--records`` queued for the
   clinic's persistent session while its watcher is away; a new watcher (a ``serve``
   restarting) is timed from start to the last commit, with and without check workers:
   no publisher runs meanwhile, so the rate is the clinic's own.
4. **End to end**: records from 20 devices' outboxes (real session Bundles, 10 reps,
   ~7 kB) through a loopback Mosquitto to a ClinicWatcher (FHIR validation off) into the
   store, until every outbox is empty (each record committed and its receipt back).
5. **Pages** (the web application's latency, bench/clinic_pages.py): p50/p95 of the
   caseload and a patient page; rows appended to the same table.

Needs Debian ``mosquitto`` and ``postgresql`` (``make test`` installs both).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.clinic_drain import drain_row
from bench.outbox import MOSQUITTO, _port, items, start_broker
from bench.pg_cluster import PgCluster, PgMissing

TARGET_SQLITE_PER_S = 2000.0
ROW_KINDS = ("store", "ingest", "drain", "e2e")
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


def publish_records(port: int, n: int) -> None:
    """A kiosk fleet without outboxes (run in its own process): ``n`` session Bundles on
    ``DEVICES`` devices' records leaves, QoS 1 with their record ids, as fast as the
    broker takes them."""
    import threading

    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    from mqtt.delivery import RECORD_ID_PROPERTY

    done = threading.Semaphore(0)
    c = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    c.max_inflight_messages_set(200)
    c.on_publish = lambda *_a: done.release()
    c.connect("127.0.0.1", port)
    c.loop_start()
    for i, it in enumerate(items(n)):
        props = Properties(PacketTypes.PUBLISH)
        props.UserProperty = (RECORD_ID_PROPERTY, it.record_id)
        c.publish(f"rehab/v1/bench/dev-{i % DEVICES:02d}/records", it.payload, qos=1,
                  properties=props)
    for _ in range(n):
        done.acquire(timeout=120)
    c.disconnect()
    c.loop_stop()


def ingest_row(backend: str, db: str | None, workdir: Path, n: int, validate: bool,
               workers: int = 0) -> Row:
    """The clinic alone: records published by another process, until all are stored;
    ``workers``: record checks in that many worker processes (serve --check-workers)."""
    import subprocess

    from clinic.link import ClinicWatcher, fhir_validator
    from clinic.serve import freeze_startup_objects
    from clinic.store import open_store
    from mqtt.config import load_config

    port = _port()
    tag = f"ingest-{backend}-{validate}-{workers}"
    (workdir / tag).mkdir(parents=True)
    broker = start_broker(workdir / tag, port)
    store = open_store(workdir / tag, db)
    cfg = load_config(workdir / tag, broker=f"mqtt://127.0.0.1:{port}", clinic="bench",
                      require_device=False)
    watcher = ClinicWatcher(cfg.broker, "bench", store,
                            validate=fhir_validator if validate else None,
                            check_workers=workers)
    try:
        if validate:
            fhir_validator(json.loads(items(1)[0].payload))  # import fhir.resources first
        freeze_startup_objects()  # as rehab clinic serve does before ingest starts
        watcher.start()
        if not watcher.connected.wait(10):
            raise SystemExit("the bench's clinic watcher did not connect")
        time.sleep(0.2)  # SUBACK
        t0, cpu0 = time.perf_counter(), time.process_time()
        pub = subprocess.Popen([sys.executable, "-m", "bench.clinic", "--publish", str(port),
                                str(n)])
        deadline = time.monotonic() + 600
        # the committer's own count (a COUNT(*) every 50 ms cost this process CPU ingest
        # needs); the store's count is checked once it says all are in
        while watcher.committer.committed < n and time.monotonic() < deadline:
            time.sleep(0.02)
        seconds = time.perf_counter() - t0
        cpu_s = time.process_time() - cpu0  # this process: ingest's threads (and the poll)
        worker_s = watcher.checks.worker_cpu_s() if watcher.checks is not None else 0.0
        stored = store.count_resources()
        pub.wait(60)
    finally:
        watcher.stop()
        store.close()
        broker.terminate()
        broker.wait()
    gc = watcher.committer
    note = ((f"{gc.batches} commits, largest {gc.largest}" if stored == n
             else f"ONLY {stored} STORED") + (", FHIR validation on" if validate else "")
            + f"; serve CPU {1000 * cpu_s / max(stored, 1):.2f} ms/record"
            + (f" + workers {1000 * worker_s / max(stored, 1):.2f}" if workers else ""))
    what = "ingest alone" + (f", {workers} check workers" if workers else "")
    return Row(what, backend, n, seconds, note)


def page_rows() -> list[dict[str, Any]]:
    """The web application's page latency (bench/clinic_pages.py: ``page_latency()``)."""
    try:
        from bench.clinic_pages import page_latency
    except ImportError as exc:
        print(f"(page latency skipped: {exc})")
        return []
    return page_latency()


def print_pages(pages: list[dict[str, Any]]) -> None:
    """Page latency rows (p50/p95 of each page, logged in, through the whole ASGI stack)."""
    if not pages:
        return
    from bench.clinic_pages import TARGET_P95_MS

    print(f"\n{'page':<10} {'first ms':>9} {'p50 ms':>8} {'p95 ms':>8}  "
          f"({pages[0]['devices']} devices x {pages[0]['days']} days, SQLite; "
          f"target p95 <= {TARGET_P95_MS:.0f} ms)")
    for r in pages:
        ok = "ok" if r["p95_ms"] <= TARGET_P95_MS else "OVER"
        print(f"{r['page']:<10} {r['first_ms']:>9.1f} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f}"
              f"  {ok}")


def print_table(rows: list[Row]) -> None:
    print(f"{'what':<44} {'backend':<10} {'records':>8} {'s':>7} {'per s':>8}  note")
    for r in rows:
        print(f"{r.what:<44} {r.backend:<10} {r.records:>8} {r.seconds:>7.2f} "
              f"{r.per_s:>8,.0f}  {r.note}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=4000, help="per measurement")
    ap.add_argument("--no-pages", action="store_true", help="skip the page latency rows")
    ap.add_argument("--check-workers", type=int, default=2, metavar="N",
                    help="worker processes of the ingest rows that use them (default 2)")
    ap.add_argument("--only", nargs="+", choices=ROW_KINDS, metavar="KIND",
                    help=f"only these rows ({', '.join(ROW_KINDS)}; default all)")
    ap.add_argument("--publish", nargs=2, type=int, metavar=("PORT", "N"),
                    help=argparse.SUPPRESS)  # the publisher process of ingest_row
    args = ap.parse_args(argv)
    if args.publish:
        publish_records(*args.publish)
        return 0
    if not Path(MOSQUITTO).exists():
        print("mosquitto not installed: apt-get install -y mosquitto", file=sys.stderr)
        return 1
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="rehab-bench-clinic-") as tmp:
        work = Path(tmp)
        try:
            pg = PgCluster().start()
        except PgMissing as exc:
            print(exc, file=sys.stderr)
            return 1
        try:
            backends: list[tuple[str, Callable[[], str | None]]] = [
                ("SQLite", lambda: None), ("PostgreSQL", pg.create_database)]
            only = set(args.only or ROW_KINDS)
            for name, db in backends:
                if "store" in only:
                    rows += store_rows(name, db(), work, args.records)
                if "ingest" in only:
                    rows.append(ingest_row(name, db(), work, args.records, validate=False))
                if "drain" in only:
                    for workers in (0, args.check_workers):
                        rows.append(drain_row(name, db(), work, args.records, workers))
                if "e2e" in only:
                    rows.append(e2e_row(name, db(), work, args.records))
            if "ingest" in only:
                rows.append(ingest_row("SQLite", None, work, args.records, validate=False,
                                       workers=args.check_workers))
                rows.append(ingest_row("SQLite", None, work, args.records // 4, validate=True))
                rows.append(ingest_row("SQLite", None, work, args.records // 4,
                                       validate=True, workers=args.check_workers))
        finally:
            pg.stop()
    print_table(rows)
    for kind in ("store", "backlog drain"):
        best = max((r.per_s for r in rows if r.backend == "SQLite" and r.what.startswith(kind)),
                   default=None)
        if best is not None:
            print(f"SQLite {kind} target >= {TARGET_SQLITE_PER_S:,.0f} records/s: "
                  f"{'ok' if best >= TARGET_SQLITE_PER_S else 'MISSED'} ({best:,.0f}/s, "
                  f"{best / TARGET_SQLITE_PER_S:.2f} of the target)")
    if not args.no_pages:  # the web application's rows (C2: bench/clinic_pages.py)
        print_pages(page_rows())
    return 0


if __name__ == "__main__":
    sys.exit(main())
