"""The broker set-up as docs/clinic-link.md ("Broker set-up") tells a Debian admin to do it:
make-credentials.sh's printed lines are the whole rehab.toml."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from tests.helpers.shipped_broker import HW

from mqtt.config import load_config

pytestmark = pytest.mark.timeout(60)
LINE = re.compile(r'^[a-z_]+ = "[^"\\]*"$')


def _run(script: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(HW / script), *args], check=check,
                          capture_output=True, text=True)


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


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
