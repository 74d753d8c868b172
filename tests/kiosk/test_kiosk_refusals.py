"""Settings shows what the clinic refused, by real touches, offscreen (issue 12 follow-up).

A kiosk on its real clinic link (DeviceLink over Mosquitto, a ClinicWatcher with the FHIR
validator): a record the clinic refuses is kept and counted ("1 record the clinic refused:
call your clinic"), and a malformed payload on the device's ack leaf is counted by reason.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy

configure_kivy((800, 480), fullscreen=False, pi=False)

from kivy.core.window import Window  # noqa: I001
from tests.helpers.chromium import shot_path
from tests.helpers.kiosk_touch import (TEST_CODE, TEST_PIN, enter, provision, running_kiosk,
                                       tap, texts, until)
from tests.helpers.link_helpers import start_watcher, wait_for, write_toml
from tests.helpers.refused_records import not_fhir_observation
from tests.helpers.rehab_broker import Broker

from clinic.link import publish_once
from kiosk.adapters.audio import AudioCues
from kiosk.adapters.clinic import LinkClinic
from kiosk.adapters.sources import SimSourceFactory
from kiosk.model import KioskModel
from mqtt.config import load_config
from therapy.outbox import Channel, OutboxItem
from therapy.store import TherapyStore

BAD_RECORD = not_fhir_observation(2)


@pytest.mark.timeout(90)
async def test_settings_shows_refused_records_and_rejections(tmp_path: Path) -> None:
    broker = Broker(tmp_path / "broker").start()
    data = tmp_path / "data"
    provision(data)
    store = TherapyStore(data / "rehab.db")
    store.enqueue([OutboxItem(Channel.RECORDS, "bad-kiosk-1", BAD_RECORD)])
    store.close()
    write_toml(data, broker=broker.url, device="dev-1", clinic="c1")
    watcher = start_watcher(tmp_path / "clinic", broker.url)
    model = KioskModel(data, sources=SimSourceFactory())  # its clinic: rehab.toml's link
    assert isinstance(model.clinic, LinkClinic)
    link, store = model.clinic.link, model.store
    try:
        async with running_kiosk(model, pin=None, audio=AudioCues(enabled=False)) as app:
            wait_for(lambda: link.drainer.stats.clinic_refused == 1, 15, "the clinic's refusal")
            cfg = load_config(tmp_path / "tool", broker=broker.url, require_device=False)
            publish_once(cfg.broker, "clinic-x", "rehab/v1/c1/dev-1/ack", b'{"refused": []}',
                         as_tool=False)
            wait_for(lambda: link.stats.rejected_total == 1, 10, "the malformed refusal")
            await enter(app, TEST_PIN)
            # the bottom strip says it calmly on every screen; Settings says what to do
            assert "connected  ·  1 record not accepted, see Settings  ·  " in app.strip.text.text
            Window.screenshot(name=str(shot_path("kiosk-strip-refused.png")))
            await tap(app, "Settings")  # the patient's own: the line is there
            assert app.sm.current == "settings"
            want = ("1 record the clinic refused: call your clinic · Refused from the clinic: 1 "
                    "(bad_field 1)")
            await until(lambda: want in texts(app), 5, "the refusal line")
            await tap(app, "Installer settings")  # and for the installer, behind the code
            await enter(app, TEST_CODE)
            assert app.sm.current == "installer"
            await until(lambda: want in texts(app), 5, "the refusal line")
            assert store.outbox_count() == 0  # nothing waits; the refused row is kept, marked
    finally:
        watcher.stop()
        broker.stop()
