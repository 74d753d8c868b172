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
    assert set(svc["SupplementaryGroups"].split()) == {"bluetooth", "dialout", "video", "input",
                                                       "audio"}
    assert svc["ProtectSystem"] == "strict" and svc["StateDirectory"] == "rehab"
    assert "/var/lib/rehab" in svc["ExecStart"]


def _environment() -> dict[str, str]:
    """Every ``Environment=`` of the unit (configparser keeps only the last)."""
    text = (HW / "systemd" / "rehab-kiosk.service").read_text()
    return dict(line.split("=", 2)[1:] for line in text.splitlines()
                if line.startswith("Environment="))


def test_the_service_user_can_write_every_place_the_kiosk_writes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Under ProtectSystem=strict and ProtectHome, with a user without a home, only the
    unit's state and cache directories are writable: the data folder is the state directory
    (0700, as the kiosk makes it) and the pose model's cache (and Mesa's, matplotlib's) is in
    the cache directory. The cache was ~/.cache: never writable under the unit, so a deployed
    kiosk always ran the wheel's heavier model."""
    from sensors.camera.model_cache import default_cache_dir
    from therapy.private_files import DIR_MODE

    svc, env = _unit()["Service"], _environment()
    state = Path("/var/lib") / svc["StateDirectory"]
    cache = Path("/var/cache") / svc["CacheDirectory"]
    assert int(svc["StateDirectoryMode"], 8) == DIR_MODE == int(svc["CacheDirectoryMode"], 8)
    assert env["REHAB_DATA_DIR"] == str(state) and f"--data-dir {state}" in svc["ExecStart"]
    assert Path(env["KIVY_HOME"]).is_relative_to(state)
    monkeypatch.setenv("HOME", "/home/rehab")  # what systemd sets: hidden by ProtectHome
    monkeypatch.setenv("XDG_CACHE_HOME", env["XDG_CACHE_HOME"])
    assert default_cache_dir().is_relative_to(cache)
    assert Path(env["MPLCONFIGDIR"]).is_relative_to(cache)


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
