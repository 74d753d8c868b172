"""A clinic on loopback for benchmarks: Debian's Mosquitto on a free port and, when asked,
``rehab clinic serve`` (ingest and receipts), each its own process; and the ``rehab.toml``
that points a kiosk's data folder at them. Imports nothing heavy: the pinned kiosk bench
starts them from the process it measures."""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

MOSQUITTO = "/usr/sbin/mosquitto"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, what: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise SystemExit(f"{what} did not start on 127.0.0.1:{port}")


def make_certificates(workdir: Path) -> tuple[Path, Path, Path]:
    """A clinic CA and the broker's certificate for 127.0.0.1 signed by it (P-256, two
    days), made with the ``openssl`` command so that nothing of it loads in the measured
    process. Returns (ca, certificate, key)."""
    if shutil.which("openssl") is None:
        raise SystemExit("openssl not installed: apt-get install -y openssl")
    ca_key, ca, key, csr, crt = (workdir / n for n in ("ca.key", "ca.pem", "broker.key",
                                                        "broker.csr", "broker.pem"))
    ext = workdir / "broker.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    for cmd in (["req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2",
                 "-subj", "/CN=bench clinic CA"],
                ["req", *ec, "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1"],
                ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
                 "-out", crt, "-days", "2", "-extfile", ext]):
        subprocess.run(["openssl", *map(str, cmd)], check=True, capture_output=True)
    return ca, crt, key


def start_broker(workdir: Path, port: int,
                 tls: tuple[int, Path, Path, Path] | None = None) -> subprocess.Popen[bytes]:
    """Mosquitto on 127.0.0.1:``port``, anonymous, logging nowhere, queues unbounded; with
    ``tls`` (port, CA, certificate, key) a second listener speaking TLS, as a clinic's
    broker does to its kiosks."""
    if not Path(MOSQUITTO).is_file():
        raise SystemExit("mosquitto not installed: apt-get install -y mosquitto")
    conf = workdir / "mosquitto.conf"
    text = (f"user root\nlistener {port} 127.0.0.1\nallow_anonymous true\n"
            "log_dest none\nmax_queued_messages 0\n")
    if tls is not None:
        tls_port, ca, crt, key = tls
        text += (f"listener {tls_port} 127.0.0.1\ncafile {ca}\ncertfile {crt}\n"
                 f"keyfile {key}\n")
    conf.write_text(text)
    proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stderr=subprocess.DEVNULL)
    _wait_port(port, "mosquitto", 5.0)
    if tls is not None:
        _wait_port(tls[0], "mosquitto's TLS listener", 5.0)
    return proc


class LoopbackClinic:
    """A broker and a clinic server (ingest, receipts, the web app) on loopback, for a
    kiosk whose data folder :meth:`configure` points at them. ``stop`` ends both.
    ``cpus``: the cores they run on (a pinned kiosk's bench: not the kiosk's core, as they
    run on the clinic's machine); by default those of the caller. ``tls``: the kiosk reaches
    the broker over TLS, verifying it against the clinic's CA (``ca_file``), as a deployed
    kiosk must (plain MQTT is refused but to a loopback broker); the clinic server, on the
    broker's machine, uses a plain loopback listener."""

    def __init__(self, workdir: Path, clinic: str = "bench",
                 cpus: set[int] | None = None, tls: bool = False) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.clinic = clinic
        self.port = free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self.kiosk_url, self.ca_file = self.url, ""
        certs = None
        if tls:
            ca, crt, key = make_certificates(workdir)
            certs = (free_port(), ca, crt, key)
            self.kiosk_url, self.ca_file = f"mqtts://127.0.0.1:{certs[0]}", str(ca)
        self.broker = start_broker(workdir, self.port, certs)
        self.server: subprocess.Popen[bytes] | None = None
        # Stopped however the caller ends (an exception before its own stop, a server that
        # never listened): a benchmark must not leave a broker or a server running.
        atexit.register(self.stop)
        if cpus:
            os.sched_setaffinity(self.broker.pid, cpus)
        web = free_port()
        self.server = subprocess.Popen(
            [sys.executable, "-m", "rehab.cli", "clinic", "serve", "--broker", self.url,
             "--clinic", clinic, "--data-dir", str(workdir / "clinic"), "--listen",
             f"127.0.0.1:{web}", "--check-workers", "0", "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=(workdir / "clinic.log").open("wb"))
        if cpus:
            os.sched_setaffinity(self.server.pid, cpus)
        _wait_port(web, "rehab clinic serve", 30.0)

    def configure(self, data_dir: Path, device: str) -> None:
        """``rehab.toml`` in ``data_dir``: this device on this clinic's broker."""
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / "rehab.toml").write_text(
            f'device = "{device}"\nclinic = "{self.clinic}"\nbroker = "{self.kiosk_url}"\n'
            + (f'ca_file = "{self.ca_file}"\n' if self.ca_file else ""))

    def stop(self) -> None:
        """Both processes ended (again: a no-op)."""
        procs = [p for p in (self.server, self.broker) if p is not None and p.poll() is None]
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
