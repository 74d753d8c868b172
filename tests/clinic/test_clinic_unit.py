"""hw/systemd/rehab-clinic@.service: runs `rehab clinic serve` per instance, stops on
SIGTERM, keeps secrets off the command line, passes systemd-analyze."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "hw" / "systemd" / "rehab-clinic@.service"


def test_unit_runs_serve_per_instance_with_its_own_name_and_state() -> None:
    cp = configparser.ConfigParser(strict=False, interpolation=None)
    cp.optionxform = str  # type: ignore[assignment,method-assign]
    cp.read(UNIT)
    svc = cp["Service"]
    cmd = svc["ExecStart"].split()
    assert cmd[1:4] == ["clinic", "serve", "--data-dir"] and "--name" in cmd
    assert cmd[cmd.index("--name") + 1] == "serve-%i" and "%i" in cmd[cmd.index("--data-dir") + 1]
    assert "${DB}" in cmd and "${LISTEN}" in cmd and "PGPASSWORD" not in svc["ExecStart"]
    assert svc["KillSignal"] == "SIGTERM" and svc["Restart"] == "always"
    assert svc["User"] not in ("", "root") and svc["ProtectSystem"] == "strict"


def test_unit_passes_systemd_analyze(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.fail("systemd-analyze not found: `sudo apt-get install systemd`")
    unit = tmp_path / "rehab-clinic@a.service"
    unit.write_text(UNIT.read_text())
    run = subprocess.run([tool, "verify", "--man=no", str(unit)], capture_output=True,
                         text=True, timeout=60, check=False)
    problems = [line for line in (run.stdout + run.stderr).splitlines()
                if line.strip() and "is not executable" not in line  # not installed here
                and "/etc/rehab-clinic" not in line]
    assert problems == []
