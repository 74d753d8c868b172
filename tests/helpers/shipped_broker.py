"""The shipped hw/mosquitto/mosquitto.conf, run the way the docs install it on Debian: as
conf.d/rehab.conf under a copy of Debian's stock main config (paths and port moved to a temp
dir), with certificates made by hw/mosquitto/make-certs.sh and logins made by
hw/mosquitto/make-credentials.sh, over TLS."""

from __future__ import annotations

import os
import pwd
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from tests.helpers.rehab_broker import Broker, free_port

from mqtt.config import BrokerConfig, load_config

HW = Path(__file__).resolve().parents[2] / "hw" / "mosquitto"
# Debian's stock /etc/mosquitto/mosquitto.conf (package mosquitto 2.0, bookworm), verbatim.
DEBIAN_MAIN_CONF = """\
# Place your local configuration in /etc/mosquitto/conf.d/
#
# A full description of the configuration file is at
# /usr/share/doc/mosquitto/examples/mosquitto.conf.example

pid_file /run/mosquitto/mosquitto.pid

persistence true
persistence_location /var/lib/mosquitto/

log_dest file /var/log/mosquitto/mosquitto.log

include_dir /etc/mosquitto/conf.d
"""


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


def parse_lines(out: str) -> dict[str, str]:
    """make-credentials.sh's output: nothing but ``key = "value"`` lines."""
    return dict(line.replace('"', "").split(" = ") for line in out.splitlines())


def make_login(d: Path, kind: str, *args: str) -> dict[str, str]:
    out = subprocess.run(["bash", str(HW / "make-credentials.sh"), kind, *args, "--passwd",
                          str(d / "passwd"), "--acl", str(d / "acl")], check=True,
                         capture_output=True, text=True).stdout
    return parse_lines(out)


def make_certs(certs: Path, *args: str) -> str:
    """make-certs.sh for localhost and 127.0.0.1 into ``certs``; returns what it printed."""
    return subprocess.run(["bash", str(HW / "make-certs.sh"), "--host", "localhost", "--ip",
                           "127.0.0.1", "--dir", str(certs), *args], check=True,
                          capture_output=True, text=True).stdout


def debian_layout(d: Path, port: int, *, service_user: str = "root") -> str:
    """Debian's stock main config with its paths under ``d`` and the shipped config as
    ``d/conf.d/rehab.conf`` (certificates in d/certs, logins in d/passwd and d/acl); returns
    the main config. ``service_user``: the user mosquitto drops to when started as root
    ("mosquitto" as on Debian: it must then reach every file; "root": it keeps root)."""
    conf = (HW / "mosquitto.conf").read_text()
    for old, new in (("/etc/mosquitto/certs", str(d / "certs")),
                     ("/etc/mosquitto/rehab.passwd", str(d / "passwd")),
                     ("/etc/mosquitto/rehab.acl", str(d / "acl")),
                     ("listener 8883", f"listener {port}")):
        assert old in conf, old
        conf = conf.replace(old, new)
    (d / "conf.d").mkdir(mode=0o755, exist_ok=True)
    (d / "conf.d" / "rehab.conf").write_text(conf)
    main = DEBIAN_MAIN_CONF
    for old, new in (("/run/mosquitto/", f"{d}/run/"), ("/var/lib/mosquitto/", f"{d}/persist/"),
                     ("/var/log/mosquitto/mosquitto.log", str(d / "mosquitto.log")),
                     ("/etc/mosquitto/conf.d", str(d / "conf.d"))):
        assert old in main, old
        main = main.replace(old, new)
    # what the package (and its unit's ExecStartPre) makes for the broker's user
    for sub in ("run", "persist"):
        (d / sub).mkdir(mode=0o755, exist_ok=True)
    (d / "mosquitto.log").touch()
    if service_user != "root" and os.geteuid() == 0:
        user = pwd.getpwnam(service_user)
        for p in (d / "run", d / "persist", d / "mosquitto.log"):
            os.chown(p, user.pw_uid, user.pw_gid)
    return f"user {service_user}\n{main}"


def shipped_broker(d: Path, logins: dict[str, list[str]], *,
                   service_user: str = "root") -> Shipped:
    """Start the shipped config; ``logins``: name -> make-credentials.sh arguments.
    ``service_user`` "mosquitto": the broker drops to it as Debian's does (``d`` must then
    be reachable by that user: not under pytest's 0700 tmp_path)."""
    d.mkdir(mode=0o755, parents=True, exist_ok=True)
    make_certs(d / "certs")
    made = {name: make_login(d, *args) for name, args in logins.items()}
    port = free_port()
    broker = Broker(d, port=port, tls_ca=d / "certs" / "ca.crt")
    broker.conf.write_text(debian_layout(d, port, service_user=service_user))
    broker.start()
    return Shipped(broker, d / "certs" / "ca.crt", made)


def mosquitto_user_exists() -> bool:
    try:
        pwd.getpwnam("mosquitto")
    except KeyError:
        return False
    return True
