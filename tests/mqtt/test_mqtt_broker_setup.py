"""The broker set-up as docs/clinic-link.md ("Broker set-up") tells a Debian admin to do it,
on a real Mosquitto: hw/mosquitto/mosquitto.conf as conf.d/rehab.conf under Debian's stock
main config, certificates from make-certs.sh, logins from make-credentials.sh whose printed
lines are the whole rehab.toml, the broker reloaded, and a client that verifies the CA and
the host name connects over TLS."""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from tests.helpers.link_helpers import wait_for
from tests.helpers.shipped_broker import (
    DEBIAN_MAIN_CONF,
    HW,
    make_certs,
    mosquitto_user_exists,
    shipped_broker,
)

from clinic.one_shot import publish_once
from mqtt.config import load_config

pytestmark = pytest.mark.timeout(60)
LINE = re.compile(r'^[a-z_]+ = "[^"\\]*"$')


def _run(script: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(HW / script), *args], check=check,
                          capture_output=True, text=True)


@pytest.fixture
def reachable_dir() -> Iterator[Path]:
    """A folder the broker's own user can reach (pytest's tmp_path is 0700 root's)."""
    d = Path(tempfile.mkdtemp(prefix="rehab-broker-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def _connect_and_publish(data_dir: Path, topic: str) -> None:
    """Log in with data_dir's rehab.toml (TLS verified against its ca_file, host name
    checked) and publish QoS 1 to ``topic``: CONNACK and PUBACK must both be successes
    (publish_once raises BrokerRefused otherwise)."""
    cfg = load_config(data_dir, require_device=False).broker
    publish_once(cfg, cfg.username, topic, b"{}", as_tool=False)


def test_debian_install_as_the_docs_say(reachable_dir: Path) -> None:
    """Fails on a rehab.conf that repeats the main config's persistence_location (Mosquitto:
    "Duplicate persistence_location value") and on a server key the broker's user cannot
    read ("Unable to load server key file"): run as root here, the broker drops to user
    mosquitto as Debian's does."""
    user = "mosquitto" if mosquitto_user_exists() else "root"
    shipped = shipped_broker(reachable_dir / "etc", {"clinic": ["clinic", "--clinic", "c1"]},
                             service_user=user)
    try:
        ca_on_kiosk = reachable_dir / "kiosk" / "ca.pem"
        ca_on_kiosk.parent.mkdir()
        shutil.copy(shipped.ca, ca_on_kiosk)
        d = shipped.broker.dir
        out = _run("make-credentials.sh", "device", "--clinic", "c1", "--device", "dev-9",
                   "--passwd", str(d / "passwd"), "--acl", str(d / "acl"),
                   "--broker", shipped.url, "--ca-file", str(ca_on_kiosk)).stdout
        assert all(LINE.match(line) for line in out.splitlines()), out
        _write_private(reachable_dir / "kiosk" / "rehab.toml", out)
        # systemctl reload mosquitto
        assert shipped.broker.proc is not None
        shipped.broker.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "Reloading config" in shipped.broker.log.read_text(), 5, "reload")
        _connect_and_publish(reachable_dir / "kiosk", "rehab/v1/c1/dev-9/status")
    finally:
        shipped.broker.stop()
    log = shipped.broker.log.read_text()
    assert "Error" not in log, log
    if user == "mosquitto" and os.geteuid() == 0:  # it did run as user mosquitto
        db = shipped.broker.dir / "persist" / "mosquitto.db"
        assert db.stat().st_uid == pwd.getpwnam("mosquitto").pw_uid


def test_stock_main_config_mirror_matches_debians() -> None:
    """The mirror is Debian's file byte for byte: its MD5 is the one dpkg recorded for the
    package's conffile (so a locally edited /etc/mosquitto/mosquitto.conf does not matter)."""
    import hashlib
    import subprocess

    try:
        listed = subprocess.run(["dpkg-query", "-W", "-f=${Conffiles}", "mosquitto"],
                                capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.fail(f"Debian's mosquitto package is needed ({exc}): make test installs it "
                    "(scripts/system-deps.sh test), or apt-get install mosquitto")
    recorded = {f.split()[0]: f.split()[1] for f in listed.strip().splitlines() if f.strip()}
    assert hashlib.md5(DEBIAN_MAIN_CONF.encode()).hexdigest() == \
        recorded["/etc/mosquitto/mosquitto.conf"]


def _handshake(port: int, ca: Path, name: str) -> None:
    ctx = ssl.create_default_context(cafile=str(ca))
    ctx.verify_flags |= ssl.VERIFY_X509_STRICT
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        with ctx.wrap_socket(sock, server_hostname=name):
            pass


def test_make_certs_serves_the_shipped_config(tmp_path: Path) -> None:
    # its certificates: make-certs.sh --host localhost --ip 127.0.0.1
    shipped = shipped_broker(tmp_path / "broker", {"clinic": ["clinic", "--clinic", "c1"]})
    try:
        port = shipped.broker.port
        for name in ("localhost", "127.0.0.1"):  # --host and --ip
            _handshake(port, shipped.ca, name)
        with pytest.raises(ssl.SSLCertVerificationError, match="match"):
            _handshake(port, shipped.ca, "broker.example.org")
        make_certs(tmp_path / "other")  # a CA that did not sign the broker's certificate
        with pytest.raises(ssl.SSLCertVerificationError):
            _handshake(port, tmp_path / "other" / "ca.crt", "localhost")
    finally:
        shipped.broker.stop()


def test_make_certs_files_modes_and_names(tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    out = _run("make-certs.sh", "--host", "broker.clinic.lan", "--ip", "10.0.0.5", "--dir",
               str(certs)).stdout
    assert f"{certs}/ca.crt" in out  # what to copy to the kiosks
    # the names mosquitto.conf reads
    conf = (HW / "mosquitto.conf").read_text()
    for f in ("ca.crt", "server.crt", "server.key"):
        assert f"/etc/mosquitto/certs/{f}" in conf
    mode = {f: (certs / f).stat().st_mode & 0o777 for f in
            ("ca.crt", "ca.key", "server.crt", "server.key")}
    try:
        group = grp.getgrnam("mosquitto").gr_gid
    except KeyError:
        group = None
    if os.geteuid() == 0 and group is not None:
        assert (certs / "server.key").stat().st_gid == group
        assert mode["server.key"] == 0o640
    else:
        assert mode["server.key"] == 0o600
    assert mode["ca.key"] == 0o600 and mode["ca.crt"] == mode["server.crt"] == 0o644
    cert = x509.load_pem_x509_certificate((certs / "server.crt").read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["broker.clinic.lan"]
    assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == ["10.0.0.5"]

    ca = (certs / "ca.crt").read_bytes()
    again = _run("make-certs.sh", "--host", "broker.clinic.lan", "--dir", str(certs),
                 check=False)
    assert again.returncode == 1 and "--force" in again.stderr
    assert (certs / "ca.crt").read_bytes() == ca
    _run("make-certs.sh", "--host", "broker.clinic.lan", "--dir", str(certs), "--force")
    assert (certs / "ca.crt").read_bytes() != ca


def test_make_credentials_prints_a_whole_rehab_toml(tmp_path: Path) -> None:
    """The clinic's lines name its clinic (the tools fall back to "clinic" without it)."""
    common = ["--passwd", str(tmp_path / "passwd"), "--acl", str(tmp_path / "acl")]
    plain = _run("make-credentials.sh", "clinic", "--clinic", "c1", *common).stdout
    assert [ln.split(" = ")[0] for ln in plain.splitlines()] == [
        "username", "password", "clinic"]
    out = _run("make-credentials.sh", "clinic", "--clinic", "c2", *common, "--broker",
               "mqtts://broker.clinic.lan:8883", "--ca-file", "/etc/rehab/ca.pem").stdout
    assert all(LINE.match(line) for line in out.splitlines()), out
    _write_private(tmp_path / "clinic" / "rehab.toml", out)
    cfg = load_config(tmp_path / "clinic", require_device=False)
    assert (cfg.clinic, cfg.broker.url, cfg.broker.ca_file, cfg.broker.username) == (
        "c2", "mqtts://broker.clinic.lan:8883", "/etc/rehab/ca.pem", "clinic-c2")
    bad = _run("make-credentials.sh", "device", "--clinic", "c1", "--device", "d1", *common,
               "--ca-file", 'a"b', check=False)
    assert bad.returncode == 2 and bad.stdout == ""
