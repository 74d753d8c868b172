"""Ingest with its record checks in worker processes (clinic.check_pool, ``rehab clinic
serve --check-workers N``) over a real Mosquitto: real session Bundles validated with
fhir.resources in the workers are stored once each and confirmed (the device's outbox
empties), bad records are refused and counted as on paho's thread, a worker killed
mid-stream costs nothing (its batch is checked in the serve process), and a stop flushes
what was being checked."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from tests.helpers.delivery_helpers import add_pain_records
from tests.helpers.link_helpers import device_config, start_watcher, wait_for
from tests.helpers.rehab_broker import Broker

from bench.outbox import items
from clinic.check_pool import Verdict, check_batch, check_record, fhir_validator
from mqtt.delivery import ResendPolicy
from mqtt.device import DeviceLink
from mqtt.inbound import Reject
from mqtt.topics import Leaf, Topics
from therapy.store import TherapyStore

pytestmark = pytest.mark.timeout(120)
QUICK = ResendPolicy(first_s=0.5, factor=2.0, max_s=1.0, unrouted_first_s=0.3)


def test_a_worker_gives_the_verdict_paho_s_thread_gives() -> None:
    good = items(1)[0].payload
    not_fhir = json.dumps({"resourceType": "Observation", "identifier": {"value": "x"},
                           "status": 7}).encode()
    cases = [("d", good), ("d", not_fhir), ("d", b"{nope"), ("d", b'{"resourceType": 1}')]
    here = [check_record(d, p, fhir_validator) for d, p in cases]
    there = check_batch(cases, fhir_validator)
    assert [v.reason for v in here] == [None, Reject.NOT_FHIR, Reject.NOT_JSON,
                                        Reject.NOT_FHIR]
    assert [v.reason for v in there] == [v.reason for v in here]
    assert there[0].prepared is not None and here[0].prepared is not None
    assert there[0].prepared.row["body"] == ""  # the stored text is not sent back
    assert there[0].prepared.extra == here[0].prepared.extra
    assert isinstance(there[0], Verdict) and there[0].body is None


def test_records_checked_in_workers_are_stored_once_and_confirmed(tmp_path: Path) -> None:
    broker = Broker(tmp_path / "broker").start()
    watcher = start_watcher(tmp_path / "clinic", broker.url, validate=fhir_validator,
                            check_workers=2)
    outbox = TherapyStore(tmp_path / "dev" / "rehab.db")
    link = DeviceLink(device_config(tmp_path / "dev", broker.url, device="dev-1"), outbox,
                      resend=QUICK, reconnect_max_s=1)
    try:
        expected = add_pain_records(outbox, "dev-1", 60)
        bundles = items(40)
        outbox.enqueue(bundles)
        link.start()
        # one worker is killed while records stream: its batch is checked here instead
        pool = watcher.checks
        assert pool is not None and pool._executor is not None
        wait_for(lambda: watcher.received >= 10, 30, "the first records")
        victim = next(iter(pool._executor._processes))  # noqa: SLF001  a worker's pid
        os.kill(victim, signal.SIGKILL)
        assert link.wait_drained(60), f"{outbox.outbox_count()} rows wait for a receipt"
        ids = watcher.store.identifiers()
        assert expected <= ids and len(ids) == len(expected) + len(bundles)
        assert watcher.store.count_resources() == len(ids)  # once each
        assert len(watcher.store.sessions("dev-1")) == len(bundles)
        assert watcher.store.resources("Bundle")[0]["type"] == "collection"
        # refused for good, counted per reason as on paho's thread
        topic = Topics("c1", "dev-1").topic(Leaf.RECORDS)
        for payload in (b"{nope", json.dumps({"resourceType": "Observation", "identifier":
                                              {"value": "y"}, "status": 7}).encode()):
            link.client.publish(topic, payload, qos=1)
        wait_for(lambda: watcher.invalid >= 2, 20, "two refusals")
        assert watcher.stats.rejected[Reject.NOT_JSON] == 1
        assert watcher.stats.rejected[Reject.NOT_FHIR] == 1
        assert watcher.store.count_resources() == len(ids)
        assert pool.restarts == 1  # new workers after the kill checked these two
    finally:
        link.stop()
        watcher.stop()
        watcher.store.close()
        broker.stop()
    assert watcher.checks is not None and watcher.checks.batches > 0


def test_a_validator_that_cannot_go_to_a_worker_checks_here(tmp_path: Path) -> None:
    broker = Broker(tmp_path / "broker").start()
    seen: list[str] = []
    watcher = start_watcher(tmp_path / "clinic", broker.url, check_workers=1,
                            validate=lambda r: seen.append(r["resourceType"]))
    outbox = TherapyStore(tmp_path / "dev" / "rehab.db")
    link = DeviceLink(device_config(tmp_path / "dev", broker.url, device="dev-1"), outbox,
                      resend=QUICK, reconnect_max_s=1)
    try:
        expected = add_pain_records(outbox, "dev-1", 5)
        link.start()
        assert link.wait_drained(30)
        assert watcher.store.identifiers() == expected
        assert seen.count("Observation") == 5  # validated here, by the lambda itself
        assert watcher.checks is not None and watcher.checks.inline >= 1
    finally:
        link.stop()
        watcher.stop()
        watcher.store.close()
        broker.stop()
