"""TLS + password + ACL on a real Mosquitto, set up with hw/mosquitto/make-credentials.sh.

Device A cannot publish into device B's topics: the MQTT 5 PUBACK reason code (135 Not
authorized) is logged as an error and the row stays in the outbox. A wrong password is
refused. A client certificate logs a device in without a password.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from pathlib import Path

import pytest
from tests.helpers.delivery_helpers import add_pain_records
from tests.helpers.link_helpers import wait_for, write_toml
from tests.helpers.rehab_broker import Broker, free_port
from tests.helpers.tls_certs import make_pki

from clinic.link import ClinicWatcher, publish_once
from clinic.store import ClinicStore
from mqtt.config import load_config
from mqtt.device import DeviceLink
from mqtt.errors import BrokerRefused
from therapy.store import Channel, OutboxItem, TherapyStore

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "hw" / "mosquitto" / "make-credentials.sh"
pytestmark = pytest.mark.timeout(60)


def creds(kind: str, tmp: Path, *args: str) -> dict[str, str]:
    out = subprocess.run(["bash", str(SCRIPT), kind, *args, "--passwd", str(tmp / "passwd"),
                          "--acl", str(tmp / "acl")], check=True, capture_output=True,
                         text=True).stdout
    return {k.strip(): v.strip().strip('"') for k, v in
            (line.split("=", 1) for line in out.splitlines() if "=" in line)}


@pytest.fixture
def tls_broker(tmp_path: Path):  # type: ignore[no-untyped-def]
    conf = tmp_path / "broker"
    conf.mkdir(mode=0o755)
    pki = make_pki(conf / "certs", clients=("dev-a",))
    users = {"a": creds("device", conf, "--clinic", "c1", "--device", "dev-a"),
             "b": creds("device", conf, "--clinic", "c1", "--device", "dev-b"),
             "clinic": creds("clinic", conf, "--clinic", "c1")}
    cert_port = free_port()
    certs = conf / "certs"
    extra = (f"allow_anonymous false\npassword_file {conf}/passwd\nacl_file {conf}/acl\n"
             f"certfile {certs}/server.crt\nkeyfile {certs}/server.key\n"
             f"cafile {certs}/ca.crt\n"
             f"listener {cert_port} 127.0.0.1\ncertfile {certs}/server.crt\n"
             f"keyfile {certs}/server.key\ncafile {certs}/ca.crt\nrequire_certificate true\n"
             f"use_identity_as_username true\n")
    b = Broker(conf, extra=extra, tls_ca=pki["ca"]).start()
    b.cert_port = cert_port  # type: ignore[attr-defined]
    yield b, users, pki
    b.stop()


def _link(tmp: Path, b: Broker, ca: Path, device: str, user: str, password: str,
          port: int | None = None, **toml: str) -> tuple[DeviceLink, TherapyStore]:
    write_toml(tmp, broker=f"mqtts://127.0.0.1:{port or b.port}", username=user,
               password=password, ca_file=str(ca), device=device, clinic="c1", **toml)
    store = TherapyStore(tmp / "rehab.db")
    link = DeviceLink(load_config(tmp), store, reconnect_max_s=1)
    return link, store


def test_device_cannot_publish_to_another_devices_topics(
        tls_broker, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    b, users, pki = tls_broker
    # device A's credentials, but B's topics (a stolen id, a misconfigured kiosk): the
    # broker refuses the very first publish (the birth on B's status topic)
    link, store = _link(tmp_path / "a-as-b", b, pki["ca"], "dev-b", "dev-a",
                        users["a"]["password"])
    store.enqueue([OutboxItem(Channel.RECORDS, "r1", b'{"resourceType":"Observation"}')])
    with caplog.at_level(logging.ERROR):
        link.start()
        try:
            wait_for(lambda: link.last_error, 10, "the refusal")
            time.sleep(0.5)
        finally:
            link.stop()
    assert "Not authorized (reason code 135)" in (link.last_error or "")
    assert any("135" in r.getMessage() for r in caplog.records if r.name == "mqtt.device")
    assert store.outbox_count() == 1 and link.drainer.stats.acked == 0

    # a device whose ACL allows its status but not its records topic: the outbox row is
    # refused with PUBACK 135, logged as an error, and stays in the outbox
    with open(b.dir / "acl", "a") as acl:
        acl.write("\nuser dev-a\ntopic write rehab/v1/c1/dev-x/status\n")
    b.proc.send_signal(signal.SIGHUP)  # type: ignore[union-attr]
    time.sleep(0.3)
    half, half_store = _link(tmp_path / "x", b, pki["ca"], "dev-x", "dev-a",
                             users["a"]["password"])
    half_store.enqueue([OutboxItem(Channel.RECORDS, "r1", b'{"resourceType":"Observation"}')])
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="mqtt.outbox"):
        half.start()
        try:
            wait_for(lambda: half.drainer.stats.refused == 1, 10, "the refusal")
            assert half.wait_drained(5)  # nothing else can be sent
        finally:
            half.stop()
    assert any("Not authorized (reason code 135)" in r.getMessage() for r in caplog.records)
    assert half_store.outbox_count() == 1

    # a record from device A's own topics is accepted, stored by the clinic and deleted on
    # the clinic's receipt
    own, own_store = _link(tmp_path / "a", b, pki["ca"], "dev-a", "dev-a",
                           users["a"]["password"])
    add_pain_records(own_store, "dev-a", 1)
    watcher = _clinic_watcher(tmp_path, b, users, pki)
    own.start()
    try:
        assert own.wait_drained(10)
        assert own_store.outbox_count() == 0 and own.drainer.stats.refused == 0
    finally:
        own.stop()
        watcher.stop()


def _clinic_watcher(tmp: Path, b: Broker, users: dict, pki: dict) -> ClinicWatcher:
    """The clinic's watcher with its script-made login: it stores records and confirms them."""
    from dataclasses import replace

    cfg = load_config(tmp, broker=f"mqtts://127.0.0.1:{b.port}", require_device=False)
    login = replace(cfg.broker, username=users["clinic"]["username"],
                    password=users["clinic"]["password"], ca_file=str(pki["ca"]))
    watcher = ClinicWatcher(login, "c1", ClinicStore(tmp / "clinic" / "clinic.db"))
    watcher.start()
    wait_for(watcher.connected.is_set, 10, "the clinic watcher")
    return watcher


def test_wrong_password_is_refused(tls_broker, tmp_path: Path) -> None:
    b, users, pki = tls_broker
    link, store = _link(tmp_path, b, pki["ca"], "dev-a", "dev-a", "not-the-password")
    store.enqueue([OutboxItem(Channel.RECORDS, "r1", b"{}")])
    link.start()
    try:
        wait_for(lambda: link.last_error, 10, "the refusal")
        assert not link.connected.is_set()
        assert "reason code 134" in link.last_error or "135" in link.last_error
    finally:
        link.stop()
    assert store.outbox_count() == 1


def test_plain_tcp_and_unknown_ca_are_not_accepted(tls_broker, tmp_path: Path) -> None:
    b, users, pki = tls_broker
    other = make_pki(tmp_path / "other")
    wrong_ca, _s1 = _link(tmp_path / "ca", b, other["ca"], "dev-a", "dev-a",
                          users["a"]["password"])
    write_toml(tmp_path / "plain", broker=f"mqtt://127.0.0.1:{b.port}", username="dev-a",
               password=users["a"]["password"], device="dev-a", clinic="c1")
    plain = DeviceLink(load_config(tmp_path / "plain"), TherapyStore(tmp_path / "p.db"),
                       reconnect_max_s=1)
    wrong_ca.start()
    plain.start()
    try:
        time.sleep(1.5)
        # certificate verify failed / no TLS handshake: paho keeps retrying, never connected
        assert not wrong_ca.connected.is_set() and not plain.connected.is_set()
    finally:
        wrong_ca.stop()
        plain.stop()


def test_clinic_account_reaches_its_clinic_only_and_cert_login(tls_broker,
                                                               tmp_path: Path) -> None:
    b, users, pki = tls_broker
    cfg = load_config(tmp_path, broker=f"mqtts://127.0.0.1:{b.port}", require_device=False)
    from dataclasses import replace

    clinic = replace(cfg.broker, username=users["clinic"]["username"],
                     password=users["clinic"]["password"], ca_file=str(pki["ca"]))
    publish_once(clinic, "t1", "rehab/v1/c1/dev-a/messages/in", b"{}")
    with pytest.raises(BrokerRefused, match="135"):
        publish_once(clinic, "t2", "rehab/v1/c2/dev-a/messages/in", b"{}")
    with pytest.raises(BrokerRefused, match="135"):
        publish_once(clinic, "t3", "rehab/v1/c1/dev-a/records", b"{}")
    # client certificate, no password: CN dev-a is the username, same ACL
    link, store = _link(tmp_path / "cert", b, pki["ca"], "dev-a", "", "",
                        port=b.cert_port,  # type: ignore[attr-defined]
                        client_cert=str(pki["dev-a.crt"]), client_key=str(pki["dev-a.key"]))
    add_pain_records(store, "dev-a", 1)
    watcher = _clinic_watcher(tmp_path, b, users, pki)
    link.start()
    try:
        assert link.wait_drained(10), link.last_error
    finally:
        link.stop()
        watcher.stop()
