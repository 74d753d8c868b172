"""Helpers for the end-to-end delivery tests: real records, a probe for "nobody subscribed",
the figures each test reports."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from clinic.link import ClinicWatcher
from mqtt.outbox import DrainStats
from therapy.ports import FhirEncoder
from therapy.records import PainPhase, PainReport, new_id
from therapy.store import TherapyStore


def add_pain_records(store: TherapyStore, device: str, n: int) -> set[str]:
    """``n`` pain reports (real FHIR Observations) in the outbox; their FHIR identifiers."""
    enc = FhirEncoder(device)
    now = datetime.now(timezone.utc)
    ids = set()
    for i in range(n):
        p = PainReport(new_id(), i % 11, PainPhase.BEFORE, now, None, "")
        store.save_pain(p, [enc.pain_item(p)])
        ids.add(f"urn:uuid:{p.id}")
    return ids


def puback_reason(port: int, topic: str, payload: bytes = b"{}", timeout_s: float = 5.0,
                  username: str = "", password: str = "") -> int:
    """Publish once (QoS 1, MQTT 5) and return the PUBACK reason code (16: nobody took it)."""
    done = threading.Event()
    got: list[int] = []
    c = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    if username:
        c.username_pw_set(username, password)
    c.on_connect = lambda cl, *_a: cl.publish(topic, payload, qos=1)
    c.on_publish = lambda _c, _u, _mid, rc, _p: (got.append(rc.value), done.set())
    c.connect("127.0.0.1", port)
    c.loop_start()
    try:
        if not done.wait(timeout_s):
            raise AssertionError(f"no PUBACK for {topic} within {timeout_s} s")
        return got[0]
    finally:
        c.disconnect()
        c.loop_stop()


def figures(what: str, stats: DrainStats, arrived: int, *watchers: ClinicWatcher) -> str:
    dups = sum(v.duplicates for w in watchers for v in w.views.values())
    return (f"{what}: published {stats.published} (resent {stats.resent}, nobody subscribed "
            f"{stats.unrouted}), arrived {arrived}, duplicates dropped {dups}, confirmed "
            f"{stats.receipts}, rows deleted {stats.deleted}")
