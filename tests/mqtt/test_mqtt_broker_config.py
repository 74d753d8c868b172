"""The shipped hw/mosquitto/mosquitto.conf runs as is (paths moved to a temp dir): a device
and a clinic made by make-credentials.sh connect over TLS, the clinic stores the device's
records and its receipts empty the device's outbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.helpers.delivery_helpers import add_pain_records
from tests.helpers.link_helpers import wait_for, write_toml
from tests.helpers.shipped_broker import shipped_broker

from clinic.link import ClinicWatcher
from clinic.store import ClinicStore
from mqtt.config import load_config
from mqtt.device import DeviceLink
from therapy.store import TherapyStore

pytestmark = pytest.mark.timeout(60)


def _shipped(tmp_path: Path) -> tuple[Any, ClinicWatcher, TherapyStore]:
    """The shipped broker with a device dev-9 and clinic c1 made by make-credentials.sh, the
    clinic's watcher started, the device's config written and its store opened."""
    shipped = shipped_broker(tmp_path / "broker", {
        "dev": ["device", "--clinic", "c1", "--device", "dev-9"],
        "clinic": ["clinic", "--clinic", "c1"]})
    watcher = ClinicWatcher(shipped.broker_config("clinic", tmp_path), "c1",
                            ClinicStore(tmp_path / "clinic" / "clinic.db"))
    watcher.start()
    write_toml(tmp_path / "dev", **shipped.toml("dev"))
    return shipped, watcher, TherapyStore(tmp_path / "dev" / "rehab.db")


def test_shipped_broker_config_with_script_made_credentials(tmp_path: Path) -> None:
    shipped, watcher, store = _shipped(tmp_path)
    try:
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


def test_shipped_broker_carries_the_largest_session_a_plan_allows(tmp_path: Path) -> None:
    """10 sets x 100 reps (the plan's limits) is one FHIR bundle of about 2.6 MB: the
    shipped max_packet_size must let it through (1 MiB once disconnected the device over
    and over and held back everything queued behind it)."""
    from datetime import datetime, timedelta, timezone

    from therapy.ports import FhirEncoder
    from therapy.records import RepRecord, SessionRecord, new_id

    shipped, watcher, store = _shipped(tmp_path)
    try:
        start = datetime.now(timezone.utc) - timedelta(hours=1)
        reps = tuple(RepRecord(s + 1, i + 1, 5.0 * i, 5.0 * i + 4, 60.0 + i % 7, 2.0, 1.0, 1.0)
                     for s in range(10) for i in range(100))
        rec = SessionRecord(new_id(), "knee_extension_seated", "right", "knee", start,
                            start + timedelta(minutes=50), 10, 100, 70.0, 3.0, reps, 10, True)
        items = FhirEncoder("dev-9").session_items(rec)
        assert max(len(i.payload) for i in items) > 2_000_000
        store.save_session(rec, items)
        expected = add_pain_records(store, "dev-9", 1)  # queued behind the big one
        link = DeviceLink(load_config(tmp_path / "dev"), store)
        link.start()
        try:
            assert link.wait_drained(30), link.last_error
            wait_for(lambda: expected <= watcher.store.identifiers()
                     and len(watcher.store.identifiers()) == len(expected) + len(items),
                     10, "the session and the pain report")
        finally:
            link.stop()
            watcher.stop()
        assert store.outbox_count() == 0
    finally:
        shipped.broker.stop()
