"""``rehab sync`` when the clinic's plan waits at the broker for the device (a real
Mosquitto): the plan arrives during the sync, is applied, and what applying it adds to the
outbox is sent and confirmed in the same sync. The sync said "sent -1 records" and "sync
incomplete: the clinic has not confirmed 1 records within 30 s" after 0.3 s (its drain had
ended before the plan came in), exit 1, though everything had been delivered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.helpers.link_helpers import signed_link_dirs, start_watcher
from tests.helpers.rehab_broker import Broker
from tests.helpers.plan_samples import valid_plan

from mqtt.config import load_config
from mqtt.device import DeviceLink
from rehab.cli import main
from therapy.store import TherapyStore

pytestmark = pytest.mark.timeout(90)


def test_a_plan_waiting_at_the_broker_is_applied_and_the_sync_ends_clean(
        broker: Broker, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clinic_dir, dev_dir = tmp_path / "clinic", tmp_path / "dev"
    signed_link_dirs(clinic_dir, dev_dir, broker.url, capsys)
    store = TherapyStore(dev_dir / "rehab.db")
    link = DeviceLink(load_config(dev_dir), store, reconnect_max_s=1)
    link.start()
    assert link.wait_subscribed(10)
    link.stop()  # the kiosk was online once (its session kept at the broker), then went off
    watcher = start_watcher(clinic_dir, broker.url)
    try:
        plan = tmp_path / "plan.json"
        plan.write_text(json.dumps(valid_plan(version=2)))
        assert main(["clinic", "plan", "push", "--device", "dev-1", str(plan), "--data-dir",
                     str(clinic_dir)]) == 0
        capsys.readouterr()
        assert store.current_plan() is None and store.outbox_count() == 0
        rc = main(["sync", "--data-dir", str(dev_dir), "--timeout", "20"])
        out = capsys.readouterr().out
        assert rc == 0, out
        got = store.current_plan()
        assert got is not None and got[0].version == 2, out
        assert store.outbox_count() == 0, out
        assert "sync incomplete" not in out and "sent -" not in out, out
        assert "plan version 2" in out, out
    finally:
        watcher.stop()
        store.close()
