"""A real Mosquitto for the tests: own port, own config, log to stderr (captured to a file).

``Broker(tmp).start()`` returns once an MQTT 5 CONNECT succeeds (not when the port opens).
A missing mosquitto fails the test with the install command.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from tests.helpers.processes import stop_process

MOSQUITTO = "/usr/sbin/mosquitto"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_mosquitto() -> str:
    path = MOSQUITTO if Path(MOSQUITTO).exists() else shutil.which("mosquitto")
    if not path:
        import pytest

        pytest.fail("mosquitto not installed: run `make test` (scripts/system-deps.sh test) "
                    "or `apt-get install -y mosquitto mosquitto-clients`")
    return str(path)


class Broker:
    """One mosquitto process. ``extra`` lines go into the listener config.

    ``tls_ca``: the listener speaks TLS; readiness is a CONNACK over TLS verified with it.
    """

    def __init__(self, workdir: Path, extra: str = "", port: int | None = None,
                 tls_ca: Path | None = None) -> None:
        self.exe = require_mosquitto()
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o755)
        self.port = port or free_port()
        self._port_given = port is not None
        self._extra = extra
        self.tls_ca = tls_ca
        self.conf = self.dir / "mosquitto.conf"
        self.log = self.dir / "mosquitto.log"
        (self.dir / "persist").mkdir(exist_ok=True)
        self._write_conf()
        self.proc: subprocess.Popen[bytes] | None = None

    def _write_conf(self) -> None:
        self.conf.write_text(
            f"user root\nper_listener_settings false\npersistence true\n"
            f"persistence_location {self.dir}/persist/\nlog_dest stderr\n"
            f"log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
            f"max_queued_messages 0\nmax_inflight_messages 0\n"
            f"listener {self.port} 127.0.0.1\n{self._extra or 'allow_anonymous true'}\n")

    def start(self, timeout_s: float = 10.0, wait: bool = True) -> Broker:
        for _attempt in range(5):
            mark = self.log.stat().st_size if self.log.exists() else 0
            logf = open(self.log, "ab")
            self.proc = subprocess.Popen([self.exe, "-c", str(self.conf)], stdout=logf,
                                         stderr=subprocess.STDOUT)
            logf.close()
            if not wait:
                return self
            if self.wait_ready(timeout_s):
                self._port_given = True  # a restart keeps this port
                return self
            # a port chosen here can be taken before mosquitto binds it (an outgoing
            # connection's ephemeral port; seen once in a full run): choose again
            if self._port_given or not self._lost_port_race(mark):
                break
            self.port = free_port()
            self._write_conf()
        raise RuntimeError(f"mosquitto did not accept an MQTT connect within {timeout_s}s;"
                           f" log:\n{self.log.read_text()[-2000:]}")

    def _lost_port_race(self, mark: int) -> bool:
        """True when mosquitto exited because the port was already in use (log since ``mark``)."""
        if self.proc is None or self.proc.poll() is None:
            return False
        with open(self.log, "rb") as f:
            f.seek(mark)
            return b"Address already in use" in f.read()

    def wait_ready(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                return False  # exited (its log says why)
            ok = threading.Event()
            c = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
            c.on_connect = lambda *a, ok=ok: ok.set()  # any CONNACK (even "not authorized")
            if self.tls_ca is not None:
                c.tls_set(ca_certs=str(self.tls_ca))
            try:
                c.connect("127.0.0.1", self.port, keepalive=5)
                # this thread runs the client's loop: a network thread's loop_stop() would
                # wait out its 1 s select (a second per broker start, seen in every test)
                t_connack = time.monotonic() + 0.3
                while not ok.is_set() and time.monotonic() < t_connack:
                    c.loop(timeout=0.02)
                if ok.is_set():
                    return True
            except OSError:
                time.sleep(0.02)
            finally:
                try:
                    c.disconnect()
                except Exception:
                    pass
        return False

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"
