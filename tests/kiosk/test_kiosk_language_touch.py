"""A Spanish kiosk by touch, offscreen: `rehab kiosk --lang es`'s app (KioskApp with
language="es") shows Spanish on the PIN pad, the top bar, Today and the keyboard screen,
the patient's typed message is stored as typed, and the installer moves and removes
reminder times in Settings > Reminders (saved in kiosk.json)."""

from __future__ import annotations

import asyncio
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy  # noqa: E402

configure_kivy((800, 480), fullscreen=False, pi=False)

from day_plan import PLAN  # noqa: E402
from tests.helpers.kiosk_touch import (TEST_PIN, enter, provision,
                                       running_kiosk, tap, texts)
from flow_helpers import silent_audio  # noqa: E402

from kiosk import i18n  # noqa: E402
from kiosk.adapters.sources import SimSourceFactory  # noqa: E402
from kiosk.model import KioskModel  # noqa: E402
from kiosk.settings import load_settings  # noqa: E402
from therapy.plan import parse_plan  # noqa: E402
from therapy.records import Direction  # noqa: E402
from therapy.store import TherapyStore  # noqa: E402


@pytest.mark.timeout(60)
async def test_a_spanish_kiosk_by_touch(tmp_path: Path) -> None:
    provision(tmp_path / "data")
    model = KioskModel(tmp_path / "data", sources=SimSourceFactory(speed=8.0))
    model.store.save_plan(parse_plan(PLAN), json.dumps(PLAN), datetime.now(UTC))
    audio = silent_audio()
    try:
        async with running_kiosk(model, pin=None, audio=audio, language="es") as app:
            assert "Introduzca su PIN" in texts(app) and audio.lang == "es"
            await enter(app, TEST_PIN)
            app.flow.go("today")  # past the first-run questions (tested elsewhere)
            await asyncio.sleep(0.1)
            shown = texts(app)
            assert {"Hoy", "Progreso", "Mensajes", "Ajustes", "Bloquear"} <= set(shown)
            assert "Quedan 1 ejercicio hoy" not in shown and "Queda 1 ejercicio hoy" in shown
            assert "Empezar" in shown and "Empiece su racha hoy" in shown
            await tap(app, "Mensajes")
            await tap(app, "Escribir un mensaje")
            assert app.bar.title.text == "Mensaje nuevo"
            for key in ("H", "o", "l", "a"):
                await tap(app, key)
            await tap(app, "Enviar")
            assert "Enviado a su terapeuta." in texts(app)
            assert "¡Gracias!" in texts(app)  # the quick replies too
            await tap(app, "Ajustes")  # Settings > Reminders (the patient's own: no code)
            await tap(app, "Cambiar")
            assert app.sm.current == "reminders" and app.bar.title.text == "Recordatorios"
            await tap(app, "+15")  # the first time, 10:00 -> 10:15
            await tap(app, "Quitar", index=1)  # the 17:00
            await tap(app, "Hecho")
            assert app.sm.current == "settings"
            assert load_settings(tmp_path / "data").reminder_times == ("10:15",)
    finally:
        i18n.set_language("en")
    store = TherapyStore(model.store.path)  # the kiosk closed its model: what it stored
    (m,) = store.messages()
    assert (m.direction, m.text) == (Direction.TO_THERAPIST, "Hola")
    store.close()
