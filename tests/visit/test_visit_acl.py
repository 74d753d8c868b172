"""The visit leaves under the shipped broker config and script-made ACL (TLS, MQTT 5
PUBACK reason codes): only a clinic login of the device's clinic writes its visit/in;
only the device writes its visit/out."""

from __future__ import annotations

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
