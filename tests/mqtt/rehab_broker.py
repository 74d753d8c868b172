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
    """One mosquitto process. ``extra`` lines go into the listener config."""

    def __init__(self, workdir: Path, extra: str = "", port: int | None = None,
                 tls: bool = False) -> None:
        self.exe = require_mosquitto()
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o755)
        self.port = port or free_port()
        self.tls = tls
        self.conf = self.dir / "mosquitto.conf"
        self.log = self.dir / "mosquitto.log"
        (self.dir / "persist").mkdir(exist_ok=True)
        self.conf.write_text(
            f"user root\nper_listener_settings false\npersistence true\n"
            f"persistence_location {self.dir}/persist/\nlog_dest stderr\n"
            f"log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
            f"max_queued_messages 0\nmax_inflight_messages 0\n"
            f"listener {self.port} 127.0.0.1\n{extra or 'allow_anonymous true'}\n")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 10.0, wait: bool = True) -> Broker:
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen([self.exe, "-c", str(self.conf)], stdout=logf,
                                     stderr=subprocess.STDOUT)
        logf.close()
        if wait and not self.wait_ready(timeout_s):
            raise RuntimeError(f"mosquitto did not accept an MQTT connect within {timeout_s}s;"
                               f" log:\n{self.log.read_text()[-2000:]}")
        return self

    def wait_ready(self, timeout_s: float) -> bool:
        if self.tls:  # TLS brokers: a TCP accept plus the log line is enough here
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                if "running" in self.log.read_text():
                    return True
                time.sleep(0.02)
            return False
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            ok = threading.Event()
            c = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
            c.on_connect = lambda *a: ok.set()
            try:
                c.connect("127.0.0.1", self.port, keepalive=5)
                c.loop_start()
                if ok.wait(1.0):
                    return True
            except OSError:
                time.sleep(0.02)
            finally:
                c.loop_stop()
                try:
                    c.disconnect()
                except Exception:
                    pass
        return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"
