"""The kiosk's systemd unit and udev rule say what the deployment needs (hw/README.md)."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest

HW = Path(__file__).resolve().parents[2] / "hw"


def _unit() -> configparser.ConfigParser:
    cp = configparser.ConfigParser(strict=False, interpolation=None)
    cp.optionxform = str  # type: ignore[assignment,method-assign]
    cp.read(HW / "systemd" / "rehab-kiosk.service")
    return cp


def test_unit_restarts_watches_and_confines() -> None:
    svc = _unit()["Service"]
    assert svc["Restart"] == "always" and svc["Type"] == "notify"
    assert int(svc["WatchdogSec"]) > 0
    assert svc["User"] not in ("", "root")
    assert set(svc["SupplementaryGroups"].split()) == {"bluetooth", "dialout", "video", "input"}
    assert svc["ProtectSystem"] == "strict" and svc["StateDirectory"] == "rehab"
    assert "/var/lib/rehab" in svc["ExecStart"]


def test_unit_passes_systemd_analyze(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.fail("systemd-analyze not found: `sudo apt-get install systemd`")
    unit = tmp_path / "rehab-kiosk.service"
    unit.write_text((HW / "systemd" / "rehab-kiosk.service").read_text())
    run = subprocess.run([tool, "verify", "--man=no", str(unit)], capture_output=True,
                         text=True, timeout=60)
    problems = [line for line in (run.stdout + run.stderr).splitlines()
                if line.strip() and "is not executable" not in line]  # not installed here
    assert problems == []


def test_udev_rule_names_ports_for_dialout() -> None:
    text = (HW / "udev" / "99-rehab.rules").read_text()
    rules = " ".join(line.rstrip("\\") for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))
    assert 'ATTRS{idVendor}=="2886"' in rules and 'ATTRS{idProduct}=="8045"' in rules
    assert 'GROUP="dialout"' in rules and 'MODE="0660"' in rules
    assert 'SYMLINK+="rehab-imu-$env{ID_SERIAL_SHORT}"' in rules
    assert 'ENV{ID_MM_DEVICE_IGNORE}="1"' in rules
