"""Hostile payloads on every inbound topic, through a real Mosquitto, on both sides.

Issue 12, finding 3 (one exception in a paho callback silenced a link for good) and
finding 11 (plans parsed before their size was checked; no Maximum Packet Size). Each test
ends with normal traffic that must still arrive, and asserts the per-reason counts.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from sqlite_faults import InsertFault
from tests.helpers.link_helpers import signed_link_dirs, start_watcher, wait_for
from paho.mqtt.enums import CallbackAPIVersion
from tests.helpers.rehab_broker import Broker

from clinic.link import MAX_PACKET_BYTES as CLINIC_MAX_PACKET
from mqtt.config import load_config
from mqtt.device import MAX_PACKET_BYTES as DEVICE_MAX_PACKET
from mqtt.delivery import RECEIPT_MAX_BYTES
from mqtt.device import PLAN_MAX_BYTES, DeviceLink
from mqtt.inbound import (LIVE_MAX_BYTES, MESSAGE_MAX_BYTES, RECORD_MAX_BYTES,
                          STATUS_MAX_BYTES, Reject)
from rehab.cli import main
from therapy.store import TherapyStore

pytestmark = pytest.mark.timeout(120)
NOW = "2026-11-29T08:00:00+00:00"
YEAR_1 = "0001-01-01T00:00:00+14:00"
YEAR_9999 = "9999-12-31T23:59:59-14:00"

# payloads every leaf refuses, and why (the leaf's own limits come on top)
GENERIC: list[tuple[bytes, Reject]] = [
    (b"", Reject.EMPTY),
    (b"\xff\xfe\x00garbage", Reject.NOT_UTF8),
    (b'{"text": "\\udc00"}', Reject.NOT_UTF8),
    (b"not json at all", Reject.NOT_JSON),
    (b'["a", "list"]', Reject.NOT_OBJECT),
    (b"42", Reject.NOT_OBJECT),
    (b"[" * 3000, Reject.TOO_DEEP),
    (b'{"a":' * 40 + b"1" + b"}" * 40, Reject.TOO_DEEP),
    (b'{"x": NaN}', Reject.BAD_NUMBER),
    (b'{"x": Infinity}', Reject.BAD_NUMBER),
    (b'{"x": 1e400}', Reject.BAD_NUMBER),
    (b'{"x": ' + b"7" * 4000 + b"}", Reject.BAD_NUMBER),
]
LIVE = {"type": "rep", "session": "s-1", "exercise": "heel_slide", "set": 1, "at": NOW,
        "rep": {"n": 1, "rom_deg": 60.0, "hold_s": 1.0, "flags": []}}
OUT = {"type": "message", "id": "m-1", "text": "my knee PRIVATE-NOTE", "at": NOW}
CLINIC_SPECIFIC: dict[str, list[tuple[object, Reject]]] = {
    "live": [({"type": "rep", "rep": [1]}, Reject.BAD_FIELD),  # the finding's own payload
             ({**LIVE, "rep": [1]}, Reject.BAD_FIELD),
             ({**LIVE, "rep": {**LIVE["rep"], "rom_deg": "sixty"}}, Reject.BAD_FIELD),  # type: ignore[dict-item]
             ({**LIVE, "rep": {**LIVE["rep"], "rom_deg": 1e308}}, Reject.BAD_FIELD),  # type: ignore[dict-item]
             ({**LIVE, "type": "self_destruct"}, Reject.UNKNOWN_TYPE),
             ({**LIVE, "at": YEAR_1}, Reject.BAD_DATE),
             ({**LIVE, "at": YEAR_9999}, Reject.BAD_DATE)],
    "status": [({"state": ["online"]}, Reject.BAD_FIELD),
               ({"mood": "online"}, Reject.BAD_FIELD),
               ({"event": "plan_applied", "at": YEAR_1}, Reject.BAD_DATE)],
    "messages/out": [({**OUT, "id": 12345}, Reject.BAD_FIELD),
                     ({**OUT, "text": {"rich": True}}, Reject.BAD_FIELD),
                     ({**OUT, "type": "drop_tables"}, Reject.UNKNOWN_TYPE),
                     ({**OUT, "at": YEAR_1}, Reject.BAD_DATE),
                     ({**OUT, "at": YEAR_9999}, Reject.BAD_DATE)],
    "records": [({"resourceType": "Bundle"}, Reject.BAD_FIELD),
                ({"resourceType": ["Bundle"], "identifier": {"value": "x"}}, Reject.NOT_FHIR),
                ({"resourceType": "Bundle", "identifier": {"value": "urn:uuid:x"},
                  "type": 5, "entry": "none"}, Reject.NOT_FHIR),
                ({"resourceType": "Observation", "identifier": [{"value": "o"}],
                  "status": "final", "effectiveDateTime": YEAR_1}, Reject.BAD_DATE)],
}
LIMITS = {"live": LIVE_MAX_BYTES, "status": STATUS_MAX_BYTES,
          "messages/out": MESSAGE_MAX_BYTES, "records": RECORD_MAX_BYTES}


class Attacker:
    """A raw MQTT 5 client with a valid login publishing whatever it likes, QoS 1, in order."""

    def __init__(self, url_port: int) -> None:
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id="attacker",
                                  protocol=paho.MQTTv5)
        ready = threading.Event()
        self.client.on_connect = lambda *a: ready.set()
        self.client.connect("127.0.0.1", url_port)
        self.client.loop_start()
        assert ready.wait(10)

    def send(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_clinic_ingest_survives_hostile_payloads_on_every_topic(
        broker: Broker, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    clinic_dir = tmp_path / "clinic"
    watcher = start_watcher(clinic_dir, broker.url)
    attacker = Attacker(broker.port)
    expected: Counter[Reject] = Counter()
    try:
        for leaf, limit in LIMITS.items():
            for payload, reason in GENERIC:
                attacker.send(f"rehab/v1/c1/dev-evil/{leaf}", payload)
                expected[reason] += 1
            attacker.send(f"rehab/v1/c1/dev-evil/{leaf}", b"{" + b" " * limit + b"}")
            expected[Reject.OVERSIZE] += 1
        for leaf, cases in CLINIC_SPECIFIC.items():
            for body, reason in cases:
                attacker.send(f"rehab/v1/c1/dev-evil/{leaf}", json.dumps(body).encode())
                expected[reason] += 1
        # a device id that is not one (the topic filter's + matches anything)
        for bad_device in ("dev evil!", "d" * 65):
            attacker.send(f"rehab/v1/c1/{bad_device}/live", json.dumps(LIVE).encode())
            expected[Reject.UNKNOWN_TOPIC] += 1
        # larger than the Maximum Packet Size the watcher declared: the broker drops it
        attacker.send("rehab/v1/c1/dev-evil/records", b" " * (CLINIC_MAX_PACKET + 1))
        # a real SQLite error inside a handler: caught at the callback, counted
        fault = InsertFault(clinic_dir / "clinic.db", "messages")
        attacker.send("rehab/v1/c1/dev-evil/messages/out", json.dumps(OUT).encode())
        expected[Reject.HANDLER_ERROR] += 1
        total = sum(expected.values())
        wait_for(lambda: watcher.stats.rejected_total >= total, 20, f"{total} rejections")
        fault.clear()
        assert watcher.stats.rejected == expected
        assert watcher.guard.errors == {"on_message": 1}
        # every refusal and the handler error were logged, none with the patient's words
        assert caplog.text.count("refused a ") == total - 1 and "IntegrityError" in caplog.text
        assert "PRIVATE-NOTE" not in caplog.text and "injected fault" not in caplog.text
        assert watcher.connected.is_set()
        assert "Dropping too large outgoing PUBLISH for rehab-clinic-c1-t" \
            in broker.log.read_text()

        # the link still works: a real session from a real device arrives, nothing refused
        dev = ["--device", "dev-1", "--clinic", "c1", "--broker", broker.url, "--data-dir",
               str(tmp_path / "dev")]
        assert main(["session", "--sim", "heel_slide", "--reps", "3", "--pain-before", "2",
                     *dev]) == 0
        capsys.readouterr()
        wait_for(lambda: len(watcher.store.sessions("dev-1")) == 1, 20, "the session")
        wait_for(lambda: len(watcher.store.pain("dev-1")) == 1, 10, "the pain report")
        assert watcher.stats.rejected == expected  # the real session: nothing refused
        assert watcher.stats.accepted["records"] >= 2 and watcher.stats.accepted["live"] >= 3
        print("clinic rejected by reason:", dict(sorted(watcher.stats.as_dict()["rejected"]
                                                        .items())))
    finally:
        attacker.close()
        watcher.stop()
        watcher.store.close()


@pytest.fixture
def device(broker: Broker, tmp_path: Path, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    clinic_dir, dev_dir = tmp_path / "clinic", tmp_path / "dev"
    signed_link_dirs(clinic_dir, dev_dir, broker.url, capsys)
    events: list[dict] = []
    watcher = start_watcher(clinic_dir, broker.url,
                            on_event=lambda _d, leaf, body: events.append(body)
                            if leaf == "status" else None)
    store = TherapyStore(dev_dir / "rehab.db")
    link = DeviceLink(load_config(dev_dir), store, reconnect_max_s=1)
    link.start()
    # subscribed, not just connected: a payload published before the broker has the
    # device's subscriptions reaches nobody (a CI run lost the first eight so)
    assert link.wait_subscribed(10)
    attacker = Attacker(broker.port)
    yield broker, clinic_dir, dev_dir, store, link, attacker, events
    attacker.close()
    link.stop()
    watcher.stop()
    watcher.store.close()


def _message(clinic_dir: Path, text: str) -> None:
    assert main(["clinic", "message", "--device", "dev-1", text, "--data-dir",
                 str(clinic_dir)]) == 0


def test_device_downlink_survives_hostile_payloads_and_a_storage_fault(device) -> None:  # type: ignore[no-untyped-def]
    _b, clinic_dir, dev_dir, store, link, attacker, _events = device
    topic = "rehab/v1/c1/dev-1/messages/in"
    expected: Counter[Reject] = Counter()
    for payload, reason in GENERIC:
        attacker.send(topic, payload)
        expected[reason] += 1
    hostile_in = [
        (b"{" + b" " * MESSAGE_MAX_BYTES + b"}", Reject.OVERSIZE),
        (json.dumps({"type": "message", "id": "m-1", "text": "hi", "at": YEAR_1}).encode(),
         Reject.BAD_DATE),
        (json.dumps({"type": "appointment", "id": "a-1", "start_at": YEAR_9999,
                     "minutes": 30}).encode(), Reject.BAD_DATE),
        # well-formed JSON the downlink refuses (wrong types, unsigned, unknown type)
        (b'{"type": "message", "id": 5, "text": ["x"]}', Reject.BAD_FIELD),
        (b'{"type": "message", "id": "m-2", "text": "unsigned", "at": "' + NOW.encode()
         + b'"}', Reject.BAD_FIELD),
        (b'{"type": "format_disk", "id": "x"}', Reject.BAD_FIELD),
    ]
    for payload, reason in hostile_in:
        attacker.send(topic, payload)
        expected[reason] += 1
    for payload in (b"not json", b"\xff\xfe", b"[" * 3000, b'{"plan": NaN}', b"[]"):
        attacker.send("rehab/v1/c1/dev-1/plan", payload)
        expected[Reject.PLAN_REJECTED] += 1
    # the clinic's receipts (mqtt.delivery checks them: a bounded JSON list of record ids)
    hostile_ack = [(b"", Reject.NOT_JSON), (b"\xff\xfe[", Reject.NOT_JSON),
                   (b"[" * 3000, Reject.NOT_JSON), (b"[" * (RECEIPT_MAX_BYTES + 1), Reject.OVERSIZE),
                   (b'{"ids": ["r-1"]}', Reject.BAD_FIELD), (b"[]", Reject.BAD_FIELD),
                   (b"[5, NaN]", Reject.BAD_FIELD), (json.dumps(["r" * 81]).encode(),
                                                     Reject.BAD_FIELD)]
    for payload, reason in hostile_ack:
        attacker.send("rehab/v1/c1/dev-1/ack", payload)
        expected[reason] += 1
    total = sum(expected.values())
    wait_for(lambda: link.stats.rejected_total >= total, 20, f"{total} rejections")
    assert link.stats.rejected == expected
    assert store.messages() == [] and store.appointments() == []

    # a real SQLite error while storing a good message: caught, counted, the link goes on
    fault = InsertFault(dev_dir / "rehab.db", "messages")
    _message(clinic_dir, "this one meets a broken database")
    wait_for(lambda: link.stats.rejected[Reject.HANDLER_ERROR] == 1, 10, "the handler error")
    fault.clear()
    assert link.connected.is_set() and link.guard.errors == {"on_message": 1}
    _message(clinic_dir, "Remember: slow on the way down")
    wait_for(store.messages, 10, "the message after the fault")
    assert [m.text for m in store.messages()] == ["Remember: slow on the way down"]
    assert link.stats.accepted["messages/in"] == 1
    assert link.stats.rejected == expected + Counter({Reject.HANDLER_ERROR: 1})
    # the message that met the fault was left unacknowledged: the persistent session
    # delivers it again on the next connect, and this time it is stored
    link.stop()
    again = DeviceLink(load_config(dev_dir), store, reconnect_max_s=1)
    again.start()
    try:
        wait_for(lambda: len(store.messages()) == 2, 10, "the message that met the fault")
    finally:
        again.stop()
    assert sorted(m.text for m in store.messages()) == [
        "Remember: slow on the way down", "this one meets a broken database"]
    print("device rejected by reason:", dict(sorted(link.stats.as_dict()["rejected"].items())))


def test_device_declares_max_packet_size_and_checks_plan_size_before_parsing(device) -> None:  # type: ignore[no-untyped-def]
    broker, clinic_dir, _dev, store, link, attacker, events = device
    plan_topic = "rehab/v1/c1/dev-1/plan"
    # larger than the device's Maximum Packet Size: the broker never sends it
    attacker.send(plan_topic, b"{" + b" " * (4 * DEVICE_MAX_PACKET) + b"}")
    attacker.send("rehab/v1/c1/dev-1/messages/in", b" " * (DEVICE_MAX_PACKET + 1))
    # within the packet size but over the envelope limit: refused on its length alone
    attacker.send(plan_topic, b"[" * (PLAN_MAX_BYTES + 1))
    _message(clinic_dir, "after the big ones")
    wait_for(store.messages, 10, "the message after the oversize payloads")
    wait_for(lambda: [e for e in events if e.get("event") == "plan_rejected"], 10,
             "the plan_rejected status")
    assert link.stats.rejected == Counter({Reject.OVERSIZE: 1})
    assert link.stats.accepted == Counter({"messages/in": 1})
    rejected = [e for e in events if e.get("event") == "plan_rejected"]
    assert len(rejected) == 1 and f"the limit is {PLAN_MAX_BYTES}" in rejected[0]["reason"]
    assert store.current_plan() is None and link.connected.is_set()
    assert "Dropping too large outgoing PUBLISH for rehab-dev-dev-1" in broker.log.read_text()
