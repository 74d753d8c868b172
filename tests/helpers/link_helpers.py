"""Helpers for the clinic-link tests: configs, a watcher, waiting for conditions."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable

from clinic.link import ClinicWatcher
from clinic.store import ClinicStore
from mqtt.config import LinkConfig, load_config


def wait_for(cond: Callable[[], Any], timeout_s: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def write_toml(data_dir: Path, **values: str) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "rehab.toml").write_text(
        "".join(f'{k} = "{v}"\n' for k, v in values.items()))


def signed_link_dirs(clinic_dir: Path, dev_dir: Path, url: str, capsys: Any,
                     device: str = "dev-1", clinic: str = "c1") -> str:
    """A clinic folder with its signing key (``rehab clinic keygen``, read from ``capsys``)
    and a device folder whose config trusts that key; returns the public key."""
    from rehab.cli import main

    write_toml(clinic_dir, broker=url, clinic=clinic)
    assert main(["clinic", "keygen", "--data-dir", str(clinic_dir)]) == 0
    pub = capsys.readouterr().out.split('clinic_public_key = "')[1].split('"')[0]
    write_toml(dev_dir, broker=url, device=device, clinic=clinic, clinic_public_key=pub)
    return pub


def device_config(data_dir: Path, url: str, device: str = "dev-1",
                  clinic: str = "c1") -> LinkConfig:
    return load_config(data_dir, broker=url, device=device, clinic=clinic)


def start_watcher(tmp: Path, url: str, clinic: str = "c1", name: str = "t",
                  **kw: Any) -> ClinicWatcher:
    cfg = load_config(tmp, broker=url, clinic=clinic, require_device=False)
    watcher = ClinicWatcher(cfg.broker, clinic, ClinicStore(tmp / "clinic.db"),
                            client_name=name, **kw)
    subscribed = threading.Event()  # its one SUBSCRIBE (every filter) acknowledged
    watcher.client.on_subscribe = lambda *_a: subscribed.set()
    watcher.start()
    wait_for(watcher.connected.is_set, 10, "the watcher to connect")
    wait_for(subscribed.is_set, 10, "the watcher's SUBACK")
    return watcher
