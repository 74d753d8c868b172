"""The shipped hw/mosquitto/mosquitto.conf runs as is (paths moved to a temp dir): a device
and a clinic made by make-credentials.sh connect over TLS, the clinic stores the device's
records and its receipts empty the device's outbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from delivery_helpers import add_pain_records
from link_helpers import wait_for, write_toml
from shipped_broker import shipped_broker

from mqtt.clinic import ClinicWatcher
from mqtt.clinic_store import ClinicStore
from mqtt.config import load_config
from mqtt.device import DeviceLink
from therapy.store import TherapyStore

pytestmark = pytest.mark.timeout(60)


def test_shipped_broker_config_with_script_made_credentials(tmp_path: Path) -> None:
    shipped = shipped_broker(tmp_path / "broker", {
        "dev": ["device", "--clinic", "c1", "--device", "dev-9"],
        "clinic": ["clinic", "--clinic", "c1"]})
    try:
        watcher = ClinicWatcher(shipped.broker_config("clinic", tmp_path), "c1",
                                ClinicStore(tmp_path / "clinic" / "clinic.db"))
        watcher.start()
        write_toml(tmp_path / "dev", **shipped.toml("dev"))
        store = TherapyStore(tmp_path / "dev" / "rehab.db")
        expected = add_pain_records(store, "dev-9", 3)
        link = DeviceLink(load_config(tmp_path / "dev"), store)
        link.start()
        try:
            assert link.wait_drained(10), link.last_error
            wait_for(lambda: watcher.store.identifiers() == expected, 5, "3 records")
        finally:
            link.stop()
            watcher.stop()
        assert store.outbox_count() == 0 and watcher.receipts == 3
    finally:
        shipped.broker.stop()
    assert "Error" not in shipped.broker.log.read_text()
