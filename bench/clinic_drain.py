"""The clinic's backlog drain (``python -m bench.clinic``'s drain rows): ingest measured apart
from any publisher.

The clinic's watcher subscribes once (persistent MQTT 5 session, shared subscription) and
stops, as a ``serve`` process that goes down; another process then publishes ``n`` session
Bundles (QoS 1, record ids), which Mosquitto queues for the clinic's session; once the
publisher has every PUBACK and has exited, a new watcher with the same client id starts (a
``serve`` restarting after downtime) and the row times it from ``start()`` (connect, and the
check workers' start-up when there are any) to the commit of the last record. Nothing else
runs then but Mosquitto sending what it holds, so the rate is the clinic's own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.outbox import _port, start_broker

DRAIN_TIMEOUT_S = 600


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _watcher(port: int, workdir: Path, store: Any, workers: int) -> Any:
    from clinic.link import ClinicWatcher
    from mqtt.config import load_config

    cfg = load_config(workdir, broker=f"mqtt://127.0.0.1:{port}", clinic="bench",
                      require_device=False)
    return ClinicWatcher(cfg.broker, "bench", store, client_name="drain", validate=None,
                         check_workers=workers)


def drain_row(backend: str, db: str | None, workdir: Path, n: int, workers: int = 0) -> Any:
    """One drain row: ``n`` records queued by the broker while the clinic was away."""
    from bench.clinic import Row
    from clinic.serve import freeze_startup_objects
    from clinic.store import open_store

    port = _port()
    tag = workdir / f"drain-{backend}-{workers}"
    tag.mkdir(parents=True)
    broker = start_broker(tag, port)
    store = open_store(tag, db)
    try:
        first = _watcher(port, tag, store, 0)  # subscribes the session, then goes away
        first.start()
        if not first.connected.wait(10):
            raise SystemExit("the bench's clinic watcher did not connect")
        time.sleep(0.2)  # SUBACK
        first.stop()
        subprocess.run([sys.executable, "-m", "bench.clinic", "--publish", str(port), str(n)],
                       check=True, timeout=DRAIN_TIMEOUT_S)
        watcher = _watcher(port, tag, store, workers)
        freeze_startup_objects()  # as rehab clinic serve does before ingest starts
        t0, cpu0, broker0 = time.perf_counter(), time.process_time(), process_cpu_s(broker.pid)
        watcher.start()
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while watcher.committer.committed < n and time.monotonic() < deadline:
            time.sleep(0.02)
        seconds = time.perf_counter() - t0
        cpu_s = time.process_time() - cpu0
        broker_s = process_cpu_s(broker.pid) - broker0
        load = os.getloadavg()[0]
        worker_s = watcher.checks.worker_cpu_s() if watcher.checks is not None else 0.0
        stored = store.count_resources()
        watcher.stop()
    finally:
        store.close()
        broker.terminate()
        broker.wait()
    gc = watcher.committer
    note = ((f"{gc.batches} commits, largest {gc.largest}" if stored == n == gc.committed
             else f"ONLY {stored} STORED, {gc.committed} COMMITTED")
            + f"; serve CPU {1000 * cpu_s / max(stored, 1):.2f} ms/record"
            + (f" + workers {1000 * worker_s / max(stored, 1):.2f}" if workers else "")
            + f", Mosquitto {1000 * broker_s / max(stored, 1):.3f}; load {load:.1f}")
    what = "backlog drain" + (f", {workers} check workers" if workers else "")
    return Row(what, backend, n, seconds, note)
