"""The clinic's ingest when no broker answers: it says so (a warning in the log and
``last_error``, which /healthz shows), keeps trying, and is connected with the error cleared
once the broker is up. ``rehab clinic serve`` was silent beside a degraded /healthz."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from tests.helpers.link_helpers import wait_for
from tests.helpers.rehab_broker import Broker, free_port

from clinic.link import ClinicWatcher
from clinic.store import ClinicStore
from mqtt.config import load_config

pytestmark = pytest.mark.timeout(60)


def test_an_unreachable_broker_is_said_and_the_watcher_connects_when_it_comes(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    url = f"mqtt://127.0.0.1:{port}"
    cfg = load_config(tmp_path, broker=url, clinic="c1", require_device=False)
    watcher = ClinicWatcher(cfg.broker, "c1", ClinicStore(tmp_path / "clinic.db"),
                            reconnect_max_s=1)
    broker = None
    with caplog.at_level(logging.WARNING, logger="clinic.link"):
        watcher.start()
        try:
            wait_for(lambda: watcher.connect_failures >= 1, 10, "a failed attempt")
            assert watcher.last_error == f"cannot reach the broker at 127.0.0.1:{port} " \
                                         "(retrying)"
            assert any("cannot reach the broker" in r.getMessage() for r in caplog.records)
            broker = Broker(tmp_path / "broker", port=port)
            broker.start()
            wait_for(watcher.connected.is_set, 15, "the watcher connected")
            assert watcher.last_error is None
        finally:
            watcher.stop()
            if broker is not None:
                broker.stop()
