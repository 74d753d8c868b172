"""The clinic's one-shot publishers: connect, publish one QoS 1 message, disconnect.

``rehab clinic plan push``, ``message`` and ``appoint`` send this way, logged in as the
clinic's tools (:func:`tools_login`), never as the watcher whose session they would take.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

from paho.mqtt.reasoncodes import ReasonCode

from mqtt.client import connect, make_client
from mqtt.config import BrokerConfig
from mqtt.errors import BrokerRefused, LinkError
from mqtt.paho_client import paho

TOOLS_SUFFIX = "-tools"


def tools_login(broker: BrokerConfig) -> BrokerConfig:
    """The login of the clinic's one-shot tools: ``<username>-tools``, same password.

    The broker binds client id to username (``use_username_as_clientid``), so a tool that
    logged in as the watcher would take over its session (and with a clean start wipe the
    records queued for it). ``make-credentials.sh clinic`` makes both logins. Without a
    username (client certificate, open test broker) the login is used as it is.
    """
    if not broker.username:
        return broker
    return replace(broker, username=broker.username + TOOLS_SUFFIX)


def publish_once(broker: BrokerConfig, client_id: str, topic: str, payload: bytes | str, *,
                 retain: bool = False, timeout_s: float = 10.0, as_tool: bool = True) -> None:
    """Connect, publish one QoS 1 message, wait for a successful PUBACK, disconnect.

    ``as_tool``: log in with :func:`tools_login` (the clinic tools); False: as given.
    Raises BrokerRefused when the broker refuses the connection or the message.
    """
    if as_tool:
        broker = tools_login(broker)
    client = make_client(broker, client_id)
    done = threading.Event()
    result: dict[str, Any] = {}

    def on_connect(c: paho.Client, _u: Any, _f: Any, rc: ReasonCode, _p: Any) -> None:
        if rc.is_failure:
            result["refused"] = rc
            done.set()
            return
        result["mid"] = c.publish(topic, payload, qos=1, retain=retain).mid

    def on_publish(_c: paho.Client, _u: Any, mid: int, rc: ReasonCode, _p: Any) -> None:
        result["puback"] = rc
        done.set()

    client.on_connect = on_connect
    client.on_publish = on_publish
    connect(client, broker)
    try:
        if not done.wait(timeout_s):
            raise LinkError(f"no answer from {broker.url} within {timeout_s:g} s")
        rc = result.get("refused") or result.get("puback")
        if rc is not None and rc.is_failure:
            raise BrokerRefused(str(rc), rc.value)
    finally:
        client.disconnect()
        client.loop_stop()
    time.sleep(0)  # let paho's thread finish
