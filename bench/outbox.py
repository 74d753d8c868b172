"""Outbox drain figures against a loopback Mosquitto: ``python -m bench.outbox``.

1. drain rate and a 10,000-record backlog (targets: >= 2,000 records/s, < 10 s): a record
   counts as drained when the clinic (a ClinicWatcher in this process, FHIR validation
   off) has stored it and its receipt has deleted the outbox row;
2. memory while the broker is down: 10,000 records recorded with the link running and
   no broker; RSS and paho's in-memory queue are sampled (target: flat).

Needs Debian ``mosquitto`` (``make test`` installs it). Payloads are real session Bundles
(10 reps, ~7 kB) so the figure includes FHIR-sized messages.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from bench.loopback_clinic import MOSQUITTO, start_broker
from bench.loopback_clinic import free_port as _port
from mqtt.config import load_config
from mqtt.device import DeviceLink
from therapy import fhir
from therapy.records import RepRecord, SessionRecord, new_id
from therapy.store import Channel, OutboxItem, TherapyStore


def items(n: int) -> list[OutboxItem]:
    now = datetime.now(timezone.utc)
    out = []
    for _ in range(n):
        rid = new_id()
        reps = tuple(RepRecord(1, i, 7.5 * i, 7.5 * i + 6, 68.0 + i % 5, 2.9, 1.5, 1.5)
                     for i in range(1, 11))
        rec = SessionRecord(rid, "knee_extension_seated", "right", "knee", now, now, 2, 10,
                            70.0, 3.0, reps, 1, True)
        payload = json.dumps(fhir.session_bundle(rec, "dev-bench"), separators=(",", ":"))
        out.append(OutboxItem(Channel.RECORDS, rid, payload.encode()))
    return out


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def drain(tmp: Path, backlog: int, max_inflight: int) -> None:
    port = _port()
    store = TherapyStore(tmp / "drain" / "rehab.db")
    batch = items(1000)
    for start in range(0, backlog, 1000):
        store.enqueue(batch[: min(1000, backlog - start)])
        batch = items(1000) if start + 2000 <= backlog else batch
    size_kb = len(batch[0].payload) / 1024
    broker = start_broker(tmp, port)
    from clinic.link import ClinicWatcher
    from clinic.store import ClinicStore

    clinic_cfg = load_config(tmp / "drain", broker=f"mqtt://127.0.0.1:{port}", clinic="bench",
                             require_device=False)
    watcher = ClinicWatcher(clinic_cfg.broker, "bench", ClinicStore(tmp / "drain" / "clinic.db"),
                            validate=None)
    watcher.start()
    try:
        if not watcher.connected.wait(10):
            raise SystemExit("the bench's clinic watcher did not connect")
        link = DeviceLink(load_config(tmp / "drain", broker=f"mqtt://127.0.0.1:{port}",
                                      device="dev-bench", clinic="bench"), store,
                          max_inflight=max_inflight)
        t0 = time.monotonic()
        link.start()
        while link.drainer.stats.acked < backlog and time.monotonic() - t0 < 60:
            time.sleep(0.01)
        dt_broker = time.monotonic() - t0  # every record PUBACKed by the broker
        ok = link.wait_drained(120)
        dt = time.monotonic() - t0  # every record stored by the clinic and its row deleted
        link.stop()
    finally:
        watcher.stop()
        broker.terminate()
        broker.wait()
    left = store.outbox_count()
    print(f"backlog of {backlog} records ({size_kb:.1f} kB each), max_inflight "
          f"{max_inflight}: at the broker in {dt_broker:.2f} s = {backlog / dt_broker:,.0f} "
          f"records/s (targets >= 2,000/s and < 10 s); stored by the clinic and deleted on its "
          f"receipts in {dt:.2f} s = {backlog / dt:,.0f} records/s "
          f"({'ok' if ok and left == 0 else f'NOT DRAINED, {left} left'})")
    store.close()


def memory_while_down(tmp: Path, total: int) -> None:
    port = _port()  # nothing listens here
    store = TherapyStore(tmp / "down" / "rehab.db")
    link = DeviceLink(load_config(tmp / "down", broker=f"mqtt://127.0.0.1:{port}",
                                  device="dev-bench", clinic="bench"), store)
    link.start()
    batch = items(500)
    store.enqueue(batch)  # warm up caches and allocators
    samples = []
    for i in range(total // 500):
        store.enqueue(batch)
        link.notify_outbox()
        if i % 8 == 0:
            samples.append((store.outbox_count(), rss_mb(),
                            len(link.client._out_messages)))  # noqa: SLF001 (paho internals)
    link.stop()
    print("broker down: outbox rows, process RSS, messages held in paho's memory")
    for rows, mb, held in samples:
        print(f"  {rows:7d} rows  {mb:7.1f} MB  {held} in paho")
    growth = samples[-1][1] - samples[0][1]
    db_mb = (store.path.stat().st_size + Path(f"{store.path}-wal").stat().st_size) / 2**20
    print(f"RSS grew {growth:+.1f} MB while the outbox grew by {samples[-1][0] - samples[0][0]}"
          f" rows ({db_mb:.0f} MB on disk)")
    store.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backlog", type=int, default=10_000)
    ap.add_argument("--max-inflight", type=int, default=100)
    ap.add_argument("--down-records", type=int, default=10_000)
    args = ap.parse_args(argv)
    if not Path(MOSQUITTO).exists():
        print("mosquitto not installed: apt-get install -y mosquitto", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        drain(Path(tmp), args.backlog, args.max_inflight)
        memory_while_down(Path(tmp), args.down_records)
    return 0


if __name__ == "__main__":
    sys.exit(main())
