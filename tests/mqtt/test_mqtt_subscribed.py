"""``DeviceLink.subscribed``: set when the broker acknowledges the downlink's subscriptions,
not when the SUBSCRIBE goes out (a payload published in between reached nobody: a CI run
lost the first eight of test_mqtt_hostile's); cleared with the connection; a SUBACK that
refuses them (a broker's ACL: EMQX, HiveMQ; Mosquitto 2.0 grants the subscription and then
delivers nothing) is the link's ``last_error``."""

from __future__ import annotations

import json
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from mqtt.config import load_config
from mqtt.device import DeviceLink
from therapy.store import TherapyStore
from tests.helpers.link_helpers import wait_for, write_toml
from tests.helpers.rehab_broker import Broker

pytestmark = pytest.mark.timeout(60)


def link(broker: Broker, tmp: Path) -> DeviceLink:
    write_toml(tmp, broker=broker.url, device="dev-1", clinic="c1")
    return DeviceLink(load_config(tmp), TherapyStore(tmp / "rehab.db"), reconnect_max_s=1)


def test_subscribed_once_acknowledged_and_a_message_right_after_arrives(
        broker: Broker, tmp_path: Path) -> None:
    dev = link(broker, tmp_path / "dev")
    dev.start()
    pub = paho.Client(CallbackAPIVersion.VERSION2, client_id="clinic-test",
                      protocol=paho.MQTTv5)
    try:
        assert dev.wait_subscribed(10) and dev.connected.is_set() and dev.last_error is None
        pub.connect("127.0.0.1", broker.port)
        pub.loop_start()
        # at once: a payload the downlink refuses, counted only if it was delivered
        pub.publish("rehab/v1/c1/dev-1/messages/in", json.dumps({"x": 1}).encode(),
                    qos=1).wait_for_publish(10)
        wait_for(lambda: dev.stats.rejected_total == 1, 10, "the payload at the device")
        broker.stop()
        wait_for(lambda: not dev.connected.is_set(), 10, "the link to drop")
        assert not dev.subscribed.is_set()
    finally:
        pub.loop_stop()
        dev.stop()


def test_a_suback_that_refuses_the_downlink_is_the_link_s_error(tmp_path: Path) -> None:
    write_toml(tmp_path, broker="mqtt://127.0.0.1:1", device="dev-1", clinic="c1")
    dev = DeviceLink(load_config(tmp_path), TherapyStore(tmp_path / "rehab.db"))
    dev._sub_mid = 7
    denied = ReasonCode(PacketTypes.SUBACK, identifier=0x87)
    granted = ReasonCode(PacketTypes.SUBACK, identifier=1)
    dev._on_subscribe(dev.client, None, 8, [denied], None)  # another SUBSCRIBE's: ignored
    assert dev.last_error is None
    dev._on_subscribe(dev.client, None, 7, [granted, denied, granted, granted], None)
    assert not dev.subscribed.is_set()
    assert dev.last_error == "broker refused the downlink subscriptions: Not authorized"
    dev._on_subscribe(dev.client, None, 7, [granted] * 4, None)
    assert dev.subscribed.is_set()
