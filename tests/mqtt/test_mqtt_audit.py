"""The audit trail reaches the clinic (issue 12, finding 8): security events written on the
device (here by ``rehab kiosk pin set`` / ``code set``) travel through a real Mosquitto as
FHIR R4 AuditEvents, pass the watcher's FHIR validation and are kept once."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from tests.helpers.link_helpers import start_watcher, wait_for, write_toml
from tests.helpers.rehab_broker import Broker

from rehab.cli import main

pytestmark = pytest.mark.timeout(60)


def test_security_events_arrive_at_the_clinic_as_audit_events(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from fhir.resources.R4B.auditevent import AuditEvent

    broker = Broker(tmp_path / "broker").start()
    try:
        dev = tmp_path / "dev"
        write_toml(dev, broker=broker.url, device="dev-9", clinic="c1")
        for what, secret in (("pin", "2580"), ("code", "246813")):
            monkeypatch.setattr("sys.stdin", io.StringIO(secret + "\n"))
            assert main(["kiosk", what, "set", "--data-dir", str(dev)]) == 0
        watcher = start_watcher(tmp_path / "clinic", broker.url)
        try:
            assert main(["sync", "--data-dir", str(dev)]) == 0
            wait_for(lambda: len(watcher.store.resources("AuditEvent")) == 2, 10,
                     "2 AuditEvents at the clinic")
            assert watcher.invalid == 0
            events = [AuditEvent.model_validate(r) for r in watcher.store.resources("AuditEvent")]
        finally:
            watcher.stop()
            watcher.store.close()
    finally:
        broker.stop()
    assert sorted(e.subtype[-1].code for e in events) == ["code_set", "pin_set"]
    assert {e.source.observer.identifier.value for e in events} == {"dev-9"}
    out = capsys.readouterr()
    assert "2580" not in out.out + out.err and "246813" not in out.out + out.err
