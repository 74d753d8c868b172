"""The clinic's refusals on its dashboard (issue 12 follow-up): ``rehab clinic serve`` (a
real process, FHIR validation in a check worker) refuses a record for good, keeps it in
quarantine, tells the device; ``/healthz`` counts the refusals per reason and the caseload
row of that patient carries a "refused records" alert."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.helpers.delivery_helpers import add_pain_records
from tests.helpers.link_helpers import device_config, wait_for
from tests.helpers.refused_records import not_fhir_observation
from tests.helpers.rehab_broker import Broker
from tests.helpers.serve_world import ServeProcess

from clinic.quarantine import refused, refused_payload
from clinic.store import ClinicStore
from clinic.web.caseload import Caseload
from mqtt.delivery import ResendPolicy
from mqtt.device import DeviceLink
from rehab.cli import main
from therapy.outbox import Channel, OutboxItem
from therapy.outbox_refusals import refused_rows
from therapy.store import TherapyStore

pytestmark = pytest.mark.timeout(120)
QUICK = ResendPolicy(first_s=0.3, factor=2.0, max_s=1.0, unrouted_first_s=0.3)
NOT_FHIR = not_fhir_observation(3)
NO_IDENTIFIER = json.dumps({"resourceType": "Observation", "status": "final"}).encode()


def test_serve_quarantines_refuses_and_shows_it(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    broker = Broker(tmp_path / "broker").start()
    serve = ServeProcess(tmp_path / "clinic", broker.url, validate=True,
                         extra=("--check-workers", "1"))
    dev = TherapyStore(tmp_path / "dev" / "rehab.db")
    good = add_pain_records(dev, "dev-1", 3)
    dev.enqueue([OutboxItem(Channel.RECORDS, "bad-fhir", NOT_FHIR),
                 OutboxItem(Channel.RECORDS, "bad-id", NO_IDENTIFIER)])
    link = DeviceLink(device_config(tmp_path / "dev", broker.url), dev, resend=QUICK,
                      reconnect_max_s=1)
    try:
        serve.wait_connected()
        link.start()
        assert link.wait_drained(30), f"{dev.outbox_count()} rows wait for a receipt"
        wait_for(lambda: link.drainer.stats.clinic_refused == 2, 15, "two refusals")
        assert {(r.record_id, r.code) for r in refused_rows(dev)} == {
            ("bad-fhir", "not_fhir"), ("bad-id", "bad_field")}
        ingest = serve.health()["ingest"]
        assert ingest["refusals_sent"] == {"not_fhir": 1, "bad_field": 1}
        assert ingest["refused_by_reason"] == {"not_fhir": 1, "bad_field": 1}
        assert ingest["refused_not_kept"] == 0 and ingest["receipts"] == 3
        assert ingest["callback_errors"] == {}
        store = ClinicStore(tmp_path / "clinic" / "clinic.db")
        try:
            assert store.identifiers() == good
            assert {q.record_id for q in refused(store, "dev-1")} == {"bad-fhir", "bad-id"}
            assert refused_payload(store, "dev-1", "bad-id") == NO_IDENTIFIER
            [row] = [r for r in Caseload(store.engine).rows() if r.device == "dev-1"]
            assert [a.text for a in row.alerts if a.kind == "refused"] == [
                "2 refused records"]
        finally:
            store.close()
        print(f"\nserve: receipts {ingest['receipts']}, refusals {ingest['refusals_sent']}, "
              f"caseload alert '2 refused records'")
        assert serve.terminate() == 0
        # a maintainer lists the quarantine and takes one payload out to look at it
        clinic = ["--data-dir", str(tmp_path / "clinic")]
        assert main(["clinic", "refused", *clinic]) == 0
        out = capsys.readouterr().out.splitlines()
        assert out[-1] == "2 refused records (bad_field 1, not_fhir 1)"
        assert any(line.startswith("dev-1  bad-fhir  not_fhir  records  refused 1x")
                   for line in out)
        got = tmp_path / "bad-fhir.json"
        assert main(["clinic", "refused", "--device", "dev-1", "--record", "bad-fhir",
                     "--out", str(got), *clinic]) == 0
        assert got.read_bytes() == NOT_FHIR and (got.stat().st_mode & 0o777) == 0o600
        capsys.readouterr()
        assert main(["clinic", "refused", "--device", "dev-1", "--record", "nope", "--out",
                     str(got), *clinic]) == 2
        err = capsys.readouterr().err
        assert err == "rehab clinic: error: no refused record nope from dev-1\n"
    finally:
        link.stop()
        dev.close()
        serve.stop_quietly()
        broker.stop()


def test_quarantine_keeps_the_first_payload_and_counts_refusals(store_db: str | None,
                                                                tmp_path: Path) -> None:
    """SQLite and PostgreSQL: bytes kept as received (not UTF-8 either), one row per device
    and record, the newest reason."""
    from clinic.quarantine import quarantine, refused_by_reason, refused_per_device
    from clinic.store import open_store

    store = open_store(tmp_path / "clinic", store_db)
    try:
        quarantine(store, "dev-1", "r-1", "records", "not_utf8", "not UTF-8", b"\xff\xfe{")
        quarantine(store, "dev-1", "r-1", "records", "not_json", "resent", b"changed")
        quarantine(store, "dev-2", "r-1", "messages/out", "bad_field", "text", b'{"t": 1}')
        assert refused_payload(store, "dev-1", "r-1") == b"\xff\xfe{"
        [one] = refused(store, "dev-1")
        assert (one.reason, one.detail, one.refusals, one.size_bytes) == (
            "not_json", "resent", 2, 3)
        assert refused_by_reason(store) == {"not_json": 1, "bad_field": 1}
        assert refused_per_device(store) == {"dev-1": 1, "dev-2": 1}
        assert refused_payload(store, "dev-3", "r-1") is None
    finally:
        store.close()
