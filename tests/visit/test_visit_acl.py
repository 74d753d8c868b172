"""The visit leaves under the shipped broker config and script-made ACL (TLS, MQTT 5
PUBACK reason codes): only a clinic login of the device's clinic writes its visit/in;
only the device writes its visit/out."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from tests.helpers.shipped_broker import shipped_broker  # noqa: E402

from clinic.link import publish_once  # noqa: E402
from mqtt.errors import BrokerRefused  # noqa: E402

pytestmark = pytest.mark.timeout(60)
A_IN, A_OUT = "rehab/v1/c1/dev-a/visit/in", "rehab/v1/c1/dev-a/visit/out"


def test_only_the_clinic_writes_visit_in_and_only_the_device_visit_out(tmp_path: Path) -> None:
    shipped = shipped_broker(tmp_path / "broker", {
        "dev-a": ["device", "--clinic", "c1", "--device", "dev-a"],
        "dev-b": ["device", "--clinic", "c1", "--device", "dev-b"],
        "c1": ["clinic", "--clinic", "c1", "--user", "c1-visit"],
        "c2": ["clinic", "--clinic", "c2"]})
    try:
        def send(login: str, topic: str, as_tool: bool = False) -> None:
            publish_once(shipped.broker_config(login, tmp_path), f"t-{login}", topic, b"{}",
                         as_tool=as_tool, timeout_s=10)

        send("c1", A_IN)  # allowed (PUBACK 16: nobody subscribed; not a failure)
        send("dev-a", A_OUT)
        for login, topic, tool in (("dev-b", A_IN, False),  # another device's call
                                   ("dev-b", A_OUT, False),  # answering for dev-a
                                   ("dev-a", A_IN, False),  # forging the clinic's side
                                   ("c2", A_IN, False),  # another clinic
                                   ("c1", A_IN, True)):  # the one-shot tools login
            with pytest.raises(BrokerRefused, match="135"):
                send(login, topic, tool)
    finally:
        shipped.broker.stop()


def test_the_servers_relay_reaches_the_kiosk_with_the_script_made_logins(
        tmp_path: Path) -> None:
    """The clinic login as the docs make it (``make-credentials.sh clinic --clinic c1``) and
    the relay as ``rehab clinic serve`` builds it over that login (``relay_factory``:
    ``<user>-visit``, same password): it connects, its cue reaches the kiosk's visit/in and
    the kiosk's visit/out reaches it. Reading records is not its job: the broker denies it."""
    import threading

    from tests.helpers.link_helpers import wait_for

    from clinic.visit import relay_factory
    from mqtt.client import connect, make_client
    from mqtt.visit import CueKind, HangUp, encode
    from therapy.ed25519 import Ed25519PrivateKey

    shipped = shipped_broker(tmp_path / "broker", {
        "dev-a": ["device", "--clinic", "c1", "--device", "dev-a"],
        "clinic": ["clinic", "--clinic", "c1"]})
    relay = None
    kiosk = make_client(shipped.broker_config("dev-a", tmp_path), "dev-a")
    got: list[tuple[str, bytes]] = []
    subscribed = threading.Event()
    kiosk.on_connect = lambda c, *_a: c.subscribe(A_IN, qos=1)
    kiosk.on_subscribe = lambda *_a: subscribed.set()
    kiosk.on_message = lambda _c, _u, m: got.append((m.topic, bytes(m.payload)))
    try:
        connect(kiosk, shipped.broker_config("dev-a", tmp_path), clean_start=True)
        assert subscribed.wait(10), "the kiosk's visit/in subscription"
        relay = relay_factory(shipped.broker_config("clinic", tmp_path), "c1",
                              Ed25519PrivateKey.generate, connect_timeout_s=10)()
        assert relay.connected.is_set()
        heard: list[tuple[str, object]] = []
        relay.on_event = lambda device, reply: heard.append((device, reply))
        relay.cue("dev-a", "call-1", CueKind.SLOWER)
        wait_for(lambda: got, 5, "the relay's cue on the kiosk's visit/in")
        assert got[0][0] == A_IN and b"slower" in got[0][1]
        time.sleep(0.3)  # the relay's visit/out subscription (SUBACK) is in by now
        send = shipped.broker_config("dev-a", tmp_path)
        publish_once(send, "t-dev-a", A_OUT, encode(HangUp("call-1", "patient hung up")),
                     as_tool=False, timeout_s=10)
        wait_for(lambda: heard, 5, "the kiosk's hang-up at the relay")
        assert heard[0][0] == "dev-a" and isinstance(heard[0][1], HangUp)
        relay.stop()  # its login is its client id: a second connection would take it over
        relay = None
        with pytest.raises(BrokerRefused, match="135"):  # the visit login sends visits only
            publish_once(replace(shipped.broker_config("clinic", tmp_path),
                                 username="clinic-c1-visit"), "t-visit",
                         "rehab/v1/c1/dev-a/plan", b"{}", as_tool=False, timeout_s=10)
    finally:
        if relay is not None:
            relay.stop()
        kiosk.disconnect()
        kiosk.loop_stop()
        shipped.broker.stop()
