"""Bound identities (issue 12, finding 2) against a real Mosquitto running the SHIPPED
hw/mosquitto/mosquitto.conf with make-credentials.sh logins, over TLS.

A login can only be its own client (``use_username_as_clientid`` under the listener):
device B's credentials, presenting device A's or the clinic's client id, neither kick A
off nor wipe the records the broker queued for the clinic. Two clinic ingest processes
(two logins) share the records through the MQTT 5 shared subscription; a device that joins
the clinic's share group reads nothing (Mosquitto 2.0 grants the subscription but denies
each delivery by ACL, and the message is then lost for the group): the device's resends
still bring every record in.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from tests.helpers.delivery_helpers import add_pain_records, figures
from tests.helpers.link_helpers import wait_for, write_toml
from tests.helpers.shipped_broker import Shipped, shipped_broker

from mqtt.client import connect, make_client
from clinic.link import ClinicWatcher, publish_once
from clinic.store import ClinicStore
from mqtt.config import load_config
from mqtt.delivery import ResendPolicy
from mqtt.device import DeviceLink
from mqtt.errors import BrokerRefused
from therapy.store import TherapyStore

pytestmark = pytest.mark.timeout(90)
QUICK = ResendPolicy(first_s=0.3, factor=2.0, max_s=1.0, unrouted_first_s=0.3)
LOGINS = {"a": ["device", "--clinic", "c1", "--device", "dev-a"],
          "b": ["device", "--clinic", "c1", "--device", "dev-b"],
          "clinic": ["clinic", "--clinic", "c1"],
          "clinic2": ["clinic", "--clinic", "c1", "--user", "clinic-c1-2"]}


@pytest.fixture
def shipped(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = shipped_broker(tmp_path / "broker", LOGINS)
    yield s
    s.broker.stop()


def _device(shipped: Shipped, tmp: Path, login: str, **kw: Any) -> DeviceLink:
    write_toml(tmp / login, **shipped.toml(login))
    return DeviceLink(load_config(tmp / login), TherapyStore(tmp / login / "rehab.db"),
                      reconnect_max_s=1, **kw)


def _watcher(shipped: Shipped, tmp: Path, login: str, name: str = "watch") -> ClinicWatcher:
    w = ClinicWatcher(shipped.broker_config(login, tmp), "c1",
                      ClinicStore(tmp / "clinic" / "clinic.db"), client_name=name,
                      reconnect_max_s=1)
    w.start()
    wait_for(w.connected.is_set, 10, f"the {login} watcher")
    return w


def _intruder(shipped: Shipped, tmp: Path, login: str, client_id: str, *,
              subscribe: str | None = None) -> paho.Client:
    """A client with ``login``'s credentials presenting ``client_id``, clean start."""
    c = make_client(shipped.broker_config(login, tmp), client_id)
    up = threading.Event()
    c.on_connect = lambda cl, *_a: (cl.subscribe(subscribe, qos=1) if subscribe else None,
                                    up.set())
    c.received = []  # type: ignore[attr-defined]
    c.on_message = lambda _c, _u, m: c.received.append(m.topic)  # type: ignore[attr-defined]
    connect(c, shipped.broker_config(login, tmp), clean_start=True)
    assert up.wait(10), f"{login} as {client_id} did not connect"
    return c


def _close(c: paho.Client) -> None:
    c.disconnect()
    c.loop_stop()


def test_another_devices_login_cannot_kick_a_device_off(shipped: Shipped,
                                                        tmp_path: Path) -> None:
    a = _device(shipped, tmp_path, "a")
    a.start()
    try:
        assert a.wait_connected(10)
        drops: list[float] = []
        watching = threading.Event()
        watching.set()

        def watch() -> None:
            while watching.is_set():
                if not a.connected.is_set():
                    drops.append(time.monotonic())
                time.sleep(0.005)

        t = threading.Thread(target=watch)
        t.start()
        # device B's login presenting A's client id, as DeviceLink names it and as bound
        intruders = [_intruder(shipped, tmp_path, "b", cid) for cid in ("rehab-dev-dev-a",
                                                                        "dev-a")]
        time.sleep(0.5)
        watching.clear()
        t.join()
        for c in intruders:
            _close(c)
        assert drops == [] and a.connected.is_set()
    finally:
        a.stop()
    log = shipped.broker.log.read_text()
    assert "Client dev-a already connected" not in log  # (B's two logins kick each other)
    assert "Client dev-b already connected" in log


def test_another_login_cannot_wipe_the_clinics_queued_records(shipped: Shipped,
                                                              tmp_path: Path) -> None:
    watcher = _watcher(shipped, tmp_path, "clinic")
    watcher.stop()  # away; the broker queues the device's records for its session
    a = _device(shipped, tmp_path, "a")  # default resend policy: no resend within the test
    expected = add_pain_records(a.store, "dev-a", 5)
    a.start()
    try:
        wait_for(lambda: a.drainer.stats.acked == 5, 10, "5 PUBACKs")
        assert a.drainer.stats.unrouted == 0  # queued for the clinic's session
        # device B's login with the clinic watcher's client id (and the bound one), clean
        # start: unbound, this would replace the clinic's session and drop its queue
        for cid in ("rehab-clinic-c1-watch", "clinic-c1"):
            _close(_intruder(shipped, tmp_path, "b", cid))
        # a clinic tool (plan push, message) does not take the watcher's session either
        publish_once(shipped.broker_config("clinic", tmp_path), "tool",
                     "rehab/v1/c1/dev-a/messages/in", b"{}")
        watcher = _watcher(shipped, tmp_path, "clinic")
        wait_for(lambda: watcher.store.identifiers() == expected, 10,
                 "the 5 queued records at the clinic")
        assert a.wait_drained(10) and a.drainer.stats.resent == 0
        print("\n" + figures("clinic queue after intruders", a.drainer.stats,
                             len(watcher.store.identifiers()), watcher))
    finally:
        a.stop()
        watcher.stop()


def test_receipts_only_from_the_clinic(shipped: Shipped, tmp_path: Path) -> None:
    b_login = shipped.broker_config("b", tmp_path)
    for topic in ("rehab/v1/c1/dev-a/ack", "rehab/v1/c1/dev-b/ack"):
        with pytest.raises(BrokerRefused, match="135"):  # a device cannot confirm records
            publish_once(b_login, "b", topic, b'["r1"]', as_tool=False)
    with pytest.raises(BrokerRefused, match="135"):  # nor can the clinic's tools login
        publish_once(shipped.broker_config("clinic", tmp_path), "t",
                     "rehab/v1/c1/dev-a/ack", b'["r1"]')
    # only device A reads its receipts: B may subscribe (Mosquitto grants it) but gets none
    own = _intruder(shipped, tmp_path, "a", "a", subscribe="rehab/v1/c1/dev-a/ack")
    spy = _intruder(shipped, tmp_path, "b", "b", subscribe="rehab/v1/c1/dev-a/ack")
    try:
        time.sleep(0.2)  # SUBACKs
        publish_once(shipped.broker_config("clinic", tmp_path), "w", "rehab/v1/c1/dev-a/ack",
                     b'["r1"]', as_tool=False)  # the clinic's ingest login can
        wait_for(lambda: own.received, 5, "A's receipt")  # type: ignore[attr-defined]
        time.sleep(0.2)
        assert spy.received == []  # type: ignore[attr-defined]
    finally:
        _close(own)
        _close(spy)


def test_two_clinic_ingest_logins_share_records_and_a_device_cannot_join(
        shipped: Shipped, tmp_path: Path) -> None:
    one = _watcher(shipped, tmp_path, "clinic")
    two = _watcher(shipped, tmp_path, "clinic2")
    # device B joins the clinic's share group: granted, but it may read nothing
    spy = _intruder(shipped, tmp_path, "b", "spy",
                    subscribe="$share/rehab-c1-ingest/rehab/v1/c1/+/records")
    a = _device(shipped, tmp_path, "a", resend=QUICK)
    expected = add_pain_records(a.store, "dev-a", 40)
    a.start()
    try:
        assert a.wait_drained(20)
        wait_for(lambda: one.store.identifiers() == expected, 10, "all 40 at the clinic")
        assert spy.received == []  # type: ignore[attr-defined]
        assert one.received > 0 and two.received > 0
        assert one.connected.is_set() and two.connected.is_set()  # neither kicked
        assert a.drainer.stats.resent > 0  # what the broker gave the spy was sent again
        print("\n" + figures(f"two clinic logins ({one.received} + {two.received} taken) "
                             f"and a device in their share group", a.drainer.stats,
                             len(one.store.identifiers()), one, two))
    finally:
        a.stop()
        _close(spy)
        one.stop()
        two.stop()
