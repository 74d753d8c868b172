"""``rehab clinic serve`` as a real subprocess, for the serve and scale tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


class ServeProcess:
    def __init__(self, data_dir: Path, broker_url: str, *, clinic: str = "c1",
                 name: str = "serve", db: str | None = None, validate: bool = False,
                 extra: tuple[str, ...] = ()) -> None:
        cmd = [sys.executable, "-m", "rehab.cli", "clinic", "serve", "--listen",
               "127.0.0.1:0", "--broker", broker_url, "--clinic", clinic, "--data-dir",
               str(data_dir), "--name", name]
        if db:
            cmd += ["--db", db]
        if not validate:
            cmd.append("--no-validate")
        cmd += extra
        self.log = data_dir.parent / f"{name}.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        self._err = self.log.open("wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._err, cwd=REPO,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1"})
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        if not line.startswith("serving clinic"):
            self.proc.kill()
            raise AssertionError(f"serve did not start: {line!r} {self.log.read_text()}")
        self.url = line.split(" on ")[1].split()[0]

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/healthz", timeout=5) as resp:
            assert resp.status == 200
            return json.loads(resp.read())  # type: ignore[no-any-return]

    def wait_connected(self, timeout_s: float = 15.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if self.health()["ingest"]["connected"]:
                    time.sleep(0.1)  # SUBACK
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"serve ingest not connected: {self.log.read_text()}")

    def terminate(self, timeout_s: float = 15.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout_s)
        finally:
            self._err.close()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self._err.close()

    def stop_quietly(self) -> None:
        if self.proc.poll() is None:
            self.kill()
