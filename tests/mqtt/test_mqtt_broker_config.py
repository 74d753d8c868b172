"""The shipped hw/mosquitto/mosquitto.conf runs as is (paths moved to a temp dir) and a
device made by make-credentials.sh connects over TLS and sends its outbox."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from link_helpers import write_toml
from rehab_broker import Broker, free_port
from tls_certs import make_pki

from mqtt.config import load_config
from mqtt.device import DeviceLink
from therapy.outbox import Channel, OutboxItem
from therapy.store import TherapyStore

HW = Path(__file__).resolve().parents[2] / "hw" / "mosquitto"
pytestmark = pytest.mark.timeout(60)


def test_shipped_broker_config_with_script_made_credentials(tmp_path: Path) -> None:
    d = tmp_path / "broker"
    d.mkdir(mode=0o755)
    make_pki(d / "certs")
    out = subprocess.run(["bash", str(HW / "make-credentials.sh"), "device", "--clinic", "c1",
                          "--device", "dev-9", "--passwd", str(d / "passwd"), "--acl",
                          str(d / "acl")], check=True, capture_output=True, text=True).stdout
    toml = dict(line.replace('"', "").split(" = ") for line in out.splitlines())
    port = free_port()
    conf = (HW / "mosquitto.conf").read_text()
    for old, new in (("/etc/mosquitto/certs", str(d / "certs")),
                     ("/etc/mosquitto/rehab.passwd", str(d / "passwd")),
                     ("/etc/mosquitto/rehab.acl", str(d / "acl")),
                     ("/var/lib/mosquitto/", f"{d}/"), ("listener 8883", f"listener {port}"),
                     ("log_dest syslog", "log_dest stderr")):
        assert old in conf
        conf = conf.replace(old, new)
    broker = Broker(d, port=port, tls_ca=d / "certs" / "ca.crt")
    broker.conf.write_text("user root\n" + conf)
    broker.start()
    try:
        write_toml(tmp_path / "dev", broker=f"mqtts://localhost:{port}",
                   ca_file=str(d / "certs" / "ca.crt"), **toml)
        store = TherapyStore(tmp_path / "dev" / "rehab.db")
        store.enqueue([OutboxItem(Channel.RECORDS, "r1", b"{}")])
        link = DeviceLink(load_config(tmp_path / "dev"), store)
        link.start()
        try:
            assert link.wait_drained(10), link.last_error
        finally:
            link.stop()
        assert store.outbox_count() == 0
    finally:
        broker.stop()
    assert "Error" not in broker.log.read_text()
