"""With a clinic configured (``rehab.toml``), the kiosk model opens the real MQTT device
link: a session's records reach the clinic through a real Mosquitto and leave the outbox
on the clinic's receipt, and the status line says so. (Without one, the other kiosk tests
show records waiting offline.)"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from tests.helpers.link_helpers import start_watcher  # noqa: E402
from tests.helpers.rehab_broker import Broker  # noqa: E402

from kiosk.adapters.clinic import LinkClinic  # noqa: E402
from kiosk.adapters.sources import SimSourceFactory  # noqa: E402
from kiosk.model import KioskModel  # noqa: E402
from kiosk.vm.intake import IntakeVM  # noqa: E402


def _wait(cond, timeout_s: float, what: str) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout_s
    while not cond():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.timeout(60)
async def test_kiosk_sends_through_the_device_link(tmp_path: Path) -> None:
    broker = Broker(tmp_path / "broker").start()
    # stores, validates (FHIR R4B) and confirms records
    watcher = start_watcher(tmp_path / "clinic", broker.url)
    try:
        data = tmp_path / "data"
        data.mkdir()
        (data / "rehab.toml").write_text(
            f'broker = "{broker.url}"\ndevice = "dev-kiosk"\nclinic = "c1"\n')
        m = KioskModel(data, sources=SimSourceFactory(speed=60.0))
        assert isinstance(m.clinic, LinkClinic)
        _wait(lambda: m.clinic.status_text() == "Clinic connected", 10, "the link")
        intake = IntakeVM(first_run=True)
        intake.condition = "About the same"
        for k in intake.flags:
            intake.answer(k, False)
        m.submit_intake(intake)
        run = m.start_exercise(dataclasses.replace(m.plan()[0].exercises[0], sets=1, reps=2))
        run.start_set()
        assert run.task is not None
        await run.task
        run.pain_after.choose(1)
        m.finish_exercise()
        _wait(lambda: m.outbox_waiting() == 0, 15, "the clinic's receipts")
        assert len(watcher.store.identifiers()) >= 3  # intake, session, pain after
        m.close()
    finally:
        watcher.stop()
        broker.stop()
