"""Scale: two ``rehab clinic serve`` processes on one real Mosquitto share ingest through the
shared subscription, with PostgreSQL as the shared store; one is SIGKILLed mid-stream.
B checks its records in a worker process. Every record of four devices arrives exactly
once and every device outbox empties."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.helpers.delivery_helpers import add_pain_records
from tests.helpers.link_helpers import device_config, wait_for
from tests.helpers.rehab_broker import Broker
from tests.helpers.serve_world import ServeProcess

from clinic.store import open_store
from mqtt.delivery import ResendPolicy
from mqtt.device import DeviceLink
from therapy.store import TherapyStore

pytestmark = pytest.mark.timeout(180)
QUICK = ResendPolicy(first_s=0.5, factor=2.0, max_s=1.0, unrouted_first_s=0.3)
DEVICES, PER_DEVICE = 4, 300  # enough that the kill lands mid-stream under load


def test_two_serve_processes_one_killed_mid_stream_lose_and_duplicate_nothing(
        pg_cluster, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = pg_cluster.create_database()
    broker = Broker(tmp_path / "broker").start()
    # both start at once on an empty database: the migration runs once (advisory lock)
    a = ServeProcess(tmp_path / "clinic-a", broker.url, name="serve-a", db=db)
    # B checks records in a worker process (--check-workers): killed with its pool
    b = ServeProcess(tmp_path / "clinic-b", broker.url, name="serve-b", db=db,
                     extra=("--check-workers", "1"))
    links: list[DeviceLink] = []
    outboxes: list[TherapyStore] = []
    store = open_store(tmp_path / "check", db)
    try:
        a.wait_connected()
        b.wait_connected()
        expected: set[str] = set()
        for d in range(DEVICES):
            outbox = TherapyStore(tmp_path / f"dev-{d}" / "rehab.db")
            expected |= add_pain_records(outbox, f"dev-{d}", PER_DEVICE)
            outboxes.append(outbox)
            links.append(DeviceLink(device_config(tmp_path / f"dev-{d}", broker.url,
                                                  device=f"dev-{d}"), outbox,
                                    resend=QUICK, reconnect_max_s=1))
        for link in links:
            link.start()
        # mid-stream: B has taken its share of some records, the stream is not over
        wait_for(lambda: b.health()["ingest"]["stored"] >= 20, 30, "B to store records")
        taken_by_b = b.health()["ingest"]["received"]
        assert store.count_resources() < len(expected), "the stream ended before the kill"
        b.kill()  # SIGKILL: no goodbye, no flush; its in-flight share has no receipt
        for link, outbox in zip(links, outboxes):
            assert link.wait_drained(60), f"{outbox.outbox_count()} rows wait for a receipt"
        assert store.identifiers() == expected  # every record arrived ...
        assert store.count_resources() == len(expected)  # ... exactly once
        assert all(o.outbox_count() == 0 for o in outboxes)
        health = a.health()["ingest"]
        assert health["received"] > 0 and taken_by_b > 0  # both took part
        print(f"\nscale: {len(expected)} records from {DEVICES} devices; B took {taken_by_b} "
              f"before SIGKILL; A received {health['received']} (duplicates dropped "
              f"{health['duplicates']}); resent {sum(link.drainer.stats.resent for link in links)}")
        assert a.terminate() == 0
    finally:
        for link in links:
            link.stop()
        a.stop_quietly()
        b.stop_quietly()
        store.close()
        broker.stop()
