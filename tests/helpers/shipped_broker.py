"""The shipped hw/mosquitto/mosquitto.conf, run as is (paths and port moved to a temp dir),
with logins made by hw/mosquitto/make-credentials.sh, over TLS."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from tests.helpers.rehab_broker import Broker, free_port
from tests.helpers.tls_certs import make_pki

from mqtt.config import BrokerConfig, load_config

HW = Path(__file__).resolve().parents[2] / "hw" / "mosquitto"


@dataclass
class Shipped:
    broker: Broker
    ca: Path
    logins: dict[str, dict[str, str]]  # name -> the rehab.toml lines the script printed

    @property
    def url(self) -> str:
        return f"mqtts://localhost:{self.broker.port}"

    def broker_config(self, login: str, tmp: Path) -> BrokerConfig:
        cfg = load_config(tmp, broker=self.url, require_device=False).broker
        creds = self.logins[login]
        return replace(cfg, username=creds["username"], password=creds["password"],
                       ca_file=str(self.ca))

    def toml(self, login: str) -> dict[str, str]:
        return {"broker": self.url, "ca_file": str(self.ca), **self.logins[login]}


def make_login(d: Path, kind: str, *args: str) -> dict[str, str]:
    out = subprocess.run(["bash", str(HW / "make-credentials.sh"), kind, *args, "--passwd",
                          str(d / "passwd"), "--acl", str(d / "acl")], check=True,
                         capture_output=True, text=True).stdout
    return dict(line.replace('"', "").split(" = ") for line in out.splitlines())


def shipped_broker(d: Path, logins: dict[str, list[str]]) -> Shipped:
    """Start the shipped config; ``logins``: name -> make-credentials.sh arguments."""
    d.mkdir(mode=0o755, parents=True, exist_ok=True)
    make_pki(d / "certs")
    made = {name: make_login(d, *args) for name, args in logins.items()}
    port = free_port()
    conf = (HW / "mosquitto.conf").read_text()
    for old, new in (("/etc/mosquitto/certs", str(d / "certs")),
                     ("/etc/mosquitto/rehab.passwd", str(d / "passwd")),
                     ("/etc/mosquitto/rehab.acl", str(d / "acl")),
                     ("/var/lib/mosquitto/", f"{d}/"), ("listener 8883", f"listener {port}"),
                     ("log_dest syslog", "log_dest stderr")):
        assert old in conf, old
        conf = conf.replace(old, new)
    broker = Broker(d, port=port, tls_ca=d / "certs" / "ca.crt")
    broker.conf.write_text("user root\n" + conf)
    broker.start()
    return Shipped(broker, d / "certs" / "ca.crt", made)
