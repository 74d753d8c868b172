"""Making a paho client: MQTT 5, callback API v2, TLS and credentials from the config."""

from __future__ import annotations

import logging
import ssl

from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from mqtt.config import BrokerConfig
from mqtt.paho_client import paho

log = logging.getLogger(__name__)

KEEPALIVE_S = 20
RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 10


def make_client(cfg: BrokerConfig, client_id: str, *,
                reconnect_max_s: float = RECONNECT_MAX_S) -> paho.Client:
    """A configured but unconnected client (call :func:`connect`)."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                         protocol=paho.MQTTv5)
    if cfg.username:
        client.username_pw_set(cfg.username, cfg.password or None)
    if cfg.tls:
        client.tls_set(ca_certs=cfg.ca_file or None, certfile=cfg.client_cert or None,
                       keyfile=cfg.client_key or None, cert_reqs=ssl.CERT_REQUIRED,
                       tls_version=ssl.PROTOCOL_TLS_CLIENT)
    client.reconnect_delay_set(RECONNECT_MIN_S, max(RECONNECT_MIN_S, int(reconnect_max_s)))
    return client


def connect(client: paho.Client, cfg: BrokerConfig, *, clean_start: bool = True,
            session_expiry_s: int = 0, max_packet_bytes: int = 0) -> None:
    """connect_async + loop_start: never raises when the broker is down; paho retries.

    ``max_packet_bytes``: the MQTT 5 Maximum Packet Size this client accepts; the broker
    drops a larger message for it instead of sending it (0: no limit declared).
    """
    props = Properties(PacketTypes.CONNECT)
    if session_expiry_s:
        props.SessionExpiryInterval = session_expiry_s
    if max_packet_bytes:
        props.MaximumPacketSize = max_packet_bytes
    client.connect_async(cfg.host, cfg.port, keepalive=KEEPALIVE_S, clean_start=clean_start,
                         properties=props)
    client.loop_start()


def receive_maximum(props: Properties | None, default: int = 65535) -> int:
    """The broker's Receive Maximum from CONNACK properties (MQTT 5 default 65535)."""
    value = getattr(props, "ReceiveMaximum", None) if props is not None else None
    return int(value) if value else default
