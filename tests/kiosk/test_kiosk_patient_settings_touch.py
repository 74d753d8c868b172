"""The patient's own Settings by touch, offscreen (issue 15): unlocked with their PIN, the
patient changes a reminder time and the language without the installer code (saved in
kiosk.json, audited as the patient's), while wearables, camera and clinic stay behind the
installer code: Settings has no Find wearables, Installer settings asks for the code, and
the patient's PIN does not open it."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy  # noqa: E402

configure_kivy((800, 480), fullscreen=False, pi=False)

from tests.helpers.kiosk_touch import (TEST_CODE, TEST_PIN, buttons, enter,  # noqa: E402
                                       provision, running_kiosk, tap, texts)

from text_fit import button_overflow, overflow  # noqa: E402
from unlocked_kiosk import unlocked_kiosk  # noqa: E402

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


WINDOWS = ((800, 480), (1280, 800))  # the 7" panel and the 10" one


def _settings_misfits(app) -> list[str]:  # type: ignore[no-untyped-def]
    """What on the patient's Settings would need a scroll or is cut: a button or a name
    outside the screen (between the top bar and the status strip), a button's words
    wrapped beyond its box or a name's beyond its own, a button under the touch floor,
    or content taller than the screen (a scroll)."""
    from kivy.uix.button import Button
    from kivy.uix.label import Label
    from kivy.uix.scrollview import ScrollView

    from kiosk.ui import theme as T

    screen = app.screens["settings"]
    sx, sy = screen.to_window(screen.x, screen.y)
    out = []
    for w in screen.walk(restrict=True):
        if isinstance(w, ScrollView) and w.children:
            if (need := w.children[0].height) > w.height + 1:
                out.append(f"content {need:.0f} px in a {w.height:.0f} px screen: a scroll")
        if not isinstance(w, Label) or not w.text.strip():
            continue
        x, y = w.to_window(w.x, w.y)
        if x < sx - 1 or y < sy - 1 or x + w.width > sx + screen.width + 1 \
                or y + w.height > sy + screen.height + 1:
            out.append(f"{w.text!r} at ({x:.0f},{y:.0f}) {w.width:.0f}x{w.height:.0f} is "
                       f"off the screen ({sx:.0f},{sy:.0f}) {screen.width:.0f}x"
                       f"{screen.height:.0f}")
        if isinstance(w, Button):
            if w.height < T.touch_h(T.MIN_TOUCH_DP) - 0.5:
                out.append(f"{w.text!r} {w.height:.0f} px tall, under the touch floor")
            if problem := button_overflow(w):
                out.append(f"{w.text!r} {problem}")
        elif problem := overflow(w):
            out.append(f"{w.text!r}: {problem}")
    return out


@pytest.mark.timeout(120)
@pytest.mark.parametrize("language", ["en", "es"])
async def test_every_settings_button_shows_without_a_scroll(tmp_path: Path,
                                                            language: str) -> None:
    """At every text size, 800x480 and 1280x800: every button and name on the patient's
    Settings is on the screen, whole, at least the touch floor tall, with no scroll (Change
    PIN and Installer settings were below the fold at 800x480; 'Muy grande' spilled its
    button at the largest text). Then by touch at the smallest screen and largest text:
    Change PIN asks the current PIN with the kiosk still unlocked, Cancel returns to Settings
    (it locked the kiosk and left the patient at 'Enter your PIN'), and a PIN changed
    returns there with the saved line, which fits too."""
    from kivy.core.window import Window

    from kiosk.i18n import _
    from kiosk.settings import TEXT_SCALES
    from kiosk.vm.flow import PIN_CHANGED

    original = Window.size
    try:
        async with unlocked_kiosk(tmp_path, language) as app:
            flow = app.flow
            flow.go("settings")
            problems: list[str] = []
            for size in WINDOWS:
                Window.size = size
                for scale in TEXT_SCALES:  # Settings built again, fresh at this size
                    flow.change_settings(text_scale=scale)
                    await asyncio.sleep(0.3)  # laid out
                    assert app.sm.current == "settings"
                    problems += [f"{size[0]}x{size[1]} text x{scale}: {p}"
                                 for p in _settings_misfits(app)]
                    note = app.screens["settings"].note  # the installer's note: where
                    if size == (1280, 800) and note.parent is None:  # there is room
                        problems.append(f"1280x800 text x{scale}: no installer's note")
            assert problems == [], "\n".join(problems)

            Window.size = WINDOWS[0]  # the largest text stays on
            await asyncio.sleep(0.3)
            await tap(app, _("Change PIN"))
            assert app.sm.current == "lock" and not app.model.lock.locked
            assert _("Change PIN: enter your current PIN") in texts(app)
            await tap(app, _("Cancel"))
            assert app.sm.current == "settings" and not app.model.lock.locked
            await tap(app, _("Change PIN"))
            for entry in (TEST_PIN, "3691", "3691"):  # the old PIN, the new one twice
                await enter(app, entry)
            assert app.sm.current == "settings" and _(PIN_CHANGED) in texts(app)
            await asyncio.sleep(0.2)
            assert _settings_misfits(app) == []
    finally:
        Window.size = original
        i18n.set_language("en")
