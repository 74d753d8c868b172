"""The patient's own Settings by touch, offscreen (issue 15): unlocked with their PIN, the
patient changes a reminder time and the language without the installer code (saved in
kiosk.json, audited as the patient's), while wearables, camera and clinic stay behind the
installer code: Settings has no Find wearables, Installer settings asks for the code, and
the patient's PIN does not open it."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy  # noqa: E402

configure_kivy((800, 480), fullscreen=False, pi=False)

from tests.helpers.kiosk_touch import (TEST_CODE, TEST_PIN, buttons, enter,  # noqa: E402
                                       provision, running_kiosk, tap, texts)

from kiosk import i18n  # noqa: E402
from kiosk.adapters.audio import AudioCues  # noqa: E402
from kiosk.adapters.sources import SimSourceFactory  # noqa: E402
from kiosk.model import KioskModel  # noqa: E402
from kiosk.settings import load_settings  # noqa: E402
from therapy.audit import Actor, AuditKind  # noqa: E402
from therapy.store import TherapyStore  # noqa: E402


@pytest.mark.timeout(60)
async def test_the_patient_sets_reminders_and_language_and_not_pairing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    provision(data)
    model = KioskModel(data, sources=SimSourceFactory())
    try:
        async with running_kiosk(model, audio=AudioCues(enabled=False)) as app:
            app.flow.go("today")  # past the first-run questions (tested elsewhere)
            await tap(app, "Settings")
            assert app.sm.current == "settings" and app.bar.title.text == "Settings"
            assert not buttons(app, "Find wearables") and not buttons(app, "OK")  # no keypad
            assert not buttons(app, "Camera set-up")

            await tap(app, "Change")  # Reminders: 10:00, 17:00
            assert app.sm.current == "reminders"
            await tap(app, "+15")  # the first time, 10:00 -> 10:15
            await tap(app, "Done")
            assert app.sm.current == "settings" and "Reminders: 10:15, 17:00" in texts(app)
            assert load_settings(data).reminder_times == ("10:15", "17:00")

            await tap(app, "Installer settings")  # wearables, camera, clinic: the code first
            assert app.sm.current == "lock" and "Enter the installer code" in texts(app)
            assert not buttons(app, "Find wearables")
            await enter(app, TEST_PIN)  # the patient's PIN does not open them
            assert app.sm.current == "lock" and "That code is not right." in texts(app)
            app.flow.go("pairing")  # no way round: pairing asks for the code too
            assert app.sm.current == "lock" and not buttons(app, "Find wearables")
            await tap(app, "Back")
            assert app.sm.current == "settings"

            await tap(app, "Español")
            assert app.sm.current == "settings" and app.bar.title.text == "Ajustes"
            assert "Recordatorios: 10:15, 17:00" in texts(app)
            assert load_settings(data).language == "es"

            await tap(app, "Ajustes del instalador")  # and with the code, they open
            await enter(app, TEST_CODE)
            assert app.sm.current == "installer" and buttons(app, "Buscar sensores")
    finally:
        i18n.set_language("en")
    store = TherapyStore(model.store.path)
    changes = [(a.actor, a.detail) for a in store.audit_records()
               if a.kind == AuditKind.SETTINGS_CHANGED]
    store.close()
    assert [actor for actor, _d in changes] == [Actor.PATIENT, Actor.PATIENT]
    assert "10:15" in changes[0][1] and "es" in changes[1][1]
