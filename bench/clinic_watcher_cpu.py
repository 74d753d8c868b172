"""The clinic watcher's own CPU per record, no broker: ``python -m bench.clinic_watcher_cpu
[--records N] [--validate]``.

Real session Bundles (24.5 kB, record ids) are handed to ``ClinicWatcher._on_message`` as
paho's network thread would hand them, checked on that thread, committed in groups to a
SQLite store (WAL, synchronous=FULL) and confirmed in batched receipts (queued in paho, not
connected). Prints the process's CPU per record (user + system: SQLite's writes and flushes
count), the calling thread's share (the checks), and the wall-clock rate. With no broker,
publisher or worker processes sharing the machine the CPU figure moves little with the load,
so it shows a change in ingest's own code (bench.clinic's rows add paho and Mosquitto).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

DEVICES = 20


def messages(n: int) -> list[object]:
    import paho.mqtt.client as paho
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    from bench.outbox import items
    from mqtt.delivery import RECORD_ID_PROPERTY

    out: list[object] = []
    for i, it in enumerate(items(n)):
        msg = paho.MQTTMessage(topic=f"rehab/v1/bench/dev-{i % DEVICES:02d}/records".encode())
        msg.payload = it.payload
        msg.qos = 1
        props = Properties(PacketTypes.PUBLISH)
        props.UserProperty = (RECORD_ID_PROPERTY, it.record_id)
        msg.properties = props
        out.append(msg)
    return out


def run(n: int, validate: bool) -> dict[str, float]:
    from clinic.link import ClinicWatcher, fhir_validator
    from clinic.store import open_store
    from mqtt.config import load_config

    msgs = messages(n)
    with tempfile.TemporaryDirectory(prefix="rehab-bench-watcher-") as tmp:
        store = open_store(Path(tmp), None)
        cfg = load_config(Path(tmp), broker="mqtt://127.0.0.1:1", clinic="bench",
                          require_device=False)
        watcher = ClinicWatcher(cfg.broker, "bench", store,
                                validate=fhir_validator if validate else None)
        if validate:  # import fhir.resources before the clock starts
            fhir_validator({"resourceType": "Basic", "code": {"text": "warm-up"}})
        watcher.batcher.start()
        watcher.committer.start()
        try:
            t0, cpu0, th0 = time.perf_counter(), time.process_time(), time.thread_time()
            for msg in msgs:
                watcher._on_message(None, None, msg)  # type: ignore[arg-type]
            thread_s = time.thread_time() - th0
            while watcher.committer.committed < n:
                time.sleep(0.005)
            cpu_s, wall_s = time.process_time() - cpu0, time.perf_counter() - t0
        finally:
            watcher.committer.stop()
            watcher.batcher.stop()
        stored = store.count_resources()
        store.close()
    if stored != n or watcher.receipts != n:
        raise SystemExit(f"only {stored} of {n} stored, {watcher.receipts} receipts")
    return {"cpu_ms": 1000 * cpu_s / n, "checks_ms": 1000 * thread_s / n, "per_s": n / wall_s,
            "commits": watcher.committer.batches}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--validate", action="store_true", help="FHIR validation on")
    args = ap.parse_args(argv)
    r = run(args.records, args.validate)
    print(f"watcher alone, {args.records} session Bundles"
          f"{', FHIR validation on' if args.validate else ''}: CPU {r['cpu_ms']:.2f} ms a "
          f"record (checks on the calling thread {r['checks_ms']:.2f} ms), "
          f"{r['per_s']:,.0f} records/s wall, {r['commits']:.0f} commits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
