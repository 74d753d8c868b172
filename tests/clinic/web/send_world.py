"""A clinic that sends, for the messages / plan editor / live tests: a real Mosquitto, a
clinic signing key, ingest (ClinicWatcher) on a real SQLite store, the web application on
ingest's connection (WatcherPublisher, the live fan-out) driven by Starlette's TestClient,
and a kiosk's DeviceLink (with the clinic's public key) on its own TherapyStore."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.helpers.link_helpers import start_watcher, write_toml
from tests.helpers.rehab_broker import Broker
from starlette.testclient import TestClient

from clinic.link import ClinicWatcher
from clinic.serve import WatcherPublisher
from clinic.web.app import create_app
from mqtt.config import load_config
from mqtt.delivery import ResendPolicy
from mqtt.device import DeviceLink
from rehab.commands.clinic import KEY_FILE
from therapy.signing import new_private_key, private_key_to_b64, public_key_to_b64
from therapy.store import TherapyStore

PASSWORD = "correct horse battery"
QUICK = ResendPolicy(first_s=0.5, factor=2.0, max_s=1.0, unrouted_first_s=0.3)


@dataclass
class SendWorld:
    broker: Broker
    clinic_dir: Path
    watcher: ClinicWatcher
    app: object
    client: TestClient
    device: TherapyStore
    link: DeviceLink

    def csrf(self, path: str = "/") -> str:
        found = re.search(r'name="csrftoken" value="([^"]+)"', self.client.get(path).text)
        assert found, "no CSRF field on " + path
        return found.group(1)

    def post(self, path: str, data: dict[str, object]) -> object:
        return self.client.post(path, data={"csrftoken": self.csrf(), **data},
                                follow_redirects=False)


def make_key(clinic_dir: Path) -> str:
    """A clinic signing key where ``rehab clinic keygen`` puts it; returns the public key."""
    clinic_dir.mkdir(parents=True, exist_ok=True)
    key = new_private_key()
    (clinic_dir / KEY_FILE).write_text(private_key_to_b64(key) + "\n")
    return public_key_to_b64(key.public_key())


def login(client: TestClient) -> None:
    page = client.get("/login").text
    token = re.search(r'name="csrftoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    r = client.post("/login", data={"username": "ann", "password": PASSWORD,
                                    "csrftoken": token, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text


@dataclass
class ClinicSide:
    """A real Mosquitto, the clinic's signing key and configs for the clinic and "dev-1",
    ingest on SQLite, and the web application (account "ann") on ingest's connection."""
    broker: Broker
    clinic_dir: Path
    dev_dir: Path
    watcher: ClinicWatcher
    app: Any


@contextmanager
def clinic_side(tmp_path: Path) -> Iterator[ClinicSide]:
    broker = Broker(tmp_path / "broker").start()
    clinic_dir, dev_dir = tmp_path / "clinic", tmp_path / "dev"
    pub = make_key(clinic_dir)
    write_toml(clinic_dir, broker=broker.url, clinic="c1")
    write_toml(dev_dir, broker=broker.url, device="dev-1", clinic="c1", clinic_public_key=pub)
    watcher = start_watcher(clinic_dir, broker.url, validate=None)
    app = create_app(watcher.store, clinic="c1", publisher=WatcherPublisher(watcher),
                     live=watcher.live, key_file=clinic_dir / KEY_FILE, secret_key="k")
    app.state.accounts.add("ann", PASSWORD)  # type: ignore[attr-defined]
    try:
        yield ClinicSide(broker, clinic_dir, dev_dir, watcher, app)
    finally:
        watcher.stop()
        watcher.store.close()
        broker.stop()


@pytest.fixture(name="send_world")
def send_world_fixture(tmp_path: Path) -> Iterator[SendWorld]:
    with clinic_side(tmp_path) as c:
        device = TherapyStore(c.dev_dir / "rehab.db")
        link = DeviceLink(load_config(c.dev_dir), device, resend=QUICK, reconnect_max_s=1)
        # the device's subscriptions acknowledged, not just its CONNACK: on a first connect a
        # clinic message published before the broker takes the SUBSCRIBE reaches nobody (the
        # logins before took long enough to hide it)
        subscribed = threading.Event()
        link.client.on_subscribe = lambda *_a: subscribed.set()
        link.start()
        assert link.wait_connected(10) and subscribed.wait(10)
        client = TestClient(c.app)
        login(client)
        try:
            yield SendWorld(c.broker, c.clinic_dir, c.watcher, c.app, client, device, link)
        finally:
            client.close()
            link.stop()
