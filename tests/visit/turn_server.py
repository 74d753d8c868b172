"""A real coturn (Debian ``coturn``) on a free loopback port for the TURN tests: long-term
credentials, no TLS, loopback peers allowed (tests only), log to a file. A missing
turnserver fails the test with the install command."""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import time
from pathlib import Path

from tests.helpers.processes import stop_process

USER, PASSWORD, REALM = "kiosk", "test-secret", "rehab.test"


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TurnServer:
    def __init__(self, workdir: Path) -> None:
        exe = shutil.which("turnserver")
        if exe is None:
            import pytest

            pytest.fail("coturn not installed: run `make test` or `apt-get install -y coturn`")
        self.exe = exe
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = _free_udp_port()
        self.log = self.dir / "turn.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"turn:127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 10.0) -> TurnServer:
        relay_lo = 50000 + (self.port % 5000)  # a small relay range of its own
        args = [self.exe, "-n", "--listening-ip=127.0.0.1", f"--listening-port={self.port}",
                "--relay-ip=127.0.0.1", f"--min-port={relay_lo}", f"--max-port={relay_lo + 99}",
                "--lt-cred-mech", f"--user={USER}:{PASSWORD}", f"--realm={REALM}",
                "--fingerprint", "--no-tls", "--no-dtls", "--no-cli", "--allow-loopback-peers",
                f"--userdb={self.dir / 'turndb'}", f"--pidfile={self.dir / 'turn.pid'}",
                f"--log-file={self.log}", "--simple-log", "--no-stdout-log", "--verbose"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"turnserver exited {self.proc.returncode}: "
                                   f"{self._log_tail()}")
            if self._answers_stun():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"turnserver not ready within {timeout_s} s: {self._log_tail()}")

    def _answers_stun(self) -> bool:
        """A STUN Binding request (RFC 5389: type 0x0001, length 0, magic cookie, 12-byte
        transaction id) answered with a Binding success (0x0101): the port is serving."""
        txn = os.urandom(12)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.2)
            s.sendto(struct.pack("!HHI", 0x0001, 0, 0x2112A442) + txn,
                     ("127.0.0.1", self.port))
            try:
                data = s.recv(2048)
            except OSError:
                return False
        return len(data) >= 20 and data[:2] == b"\x01\x01" and data[8:20] == txn

    def _log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        stop_process(self.proc)
