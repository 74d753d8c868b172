"""SIGKILL the device process at random moments (>= 20 times) while it records and drains.

After the last kill `rehab sync` drains what is left: every committed record is at the
clinic (once), and the device database passes PRAGMA integrity_check.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.helpers.link_helpers import start_watcher, wait_for
from tests.helpers.rehab_broker import Broker

from rehab.cli import main
from therapy.store import TherapyStore

KILLS = 22
WORKER = Path(__file__).with_name("device_worker.py")
pytestmark = pytest.mark.timeout(180)


def test_sigkill_at_random_points_loses_nothing_committed(tmp_path: Path) -> None:
    rng = random.Random(1234)
    broker = Broker(tmp_path / "broker").start()
    watcher = start_watcher(tmp_path / "clinic", broker.url, validate=None)
    data_dir = tmp_path / "dev"
    data_dir.mkdir()
    counts: list[int] = []
    try:
        for _ in range(KILLS):
            proc = subprocess.Popen([sys.executable, str(WORKER), str(data_dir), broker.url],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                    cwd=tmp_path)
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == b"ready"
            time.sleep(rng.uniform(0.0, 0.6))
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            proc.stdout.close()
            store = TherapyStore(data_dir / "rehab.db")
            counts.append(len(store.record_ids()))
            assert store.integrity_check() == "ok"
            store.close()
        assert counts[-1] > 3 * KILLS  # sessions really were being recorded between kills
        assert main(["sync", "--device", "dev-k", "--clinic", "c1", "--broker", broker.url,
                     "--data-dir", str(data_dir)]) == 0
        store = TherapyStore(data_dir / "rehab.db")
        committed = {f"urn:uuid:{i}" for i in store.record_ids()}
        assert store.outbox_count() == 0
        assert store.integrity_check() == "ok"
        store.close()
        wait_for(lambda: watcher.store.identifiers() >= committed, 20,
                 "every committed record at the clinic")
        assert watcher.store.identifiers() == committed
        assert len(watcher.store.sessions("dev-k")) == len(committed) // 3
    finally:
        watcher.stop()
        broker.stop()
