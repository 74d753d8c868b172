"""The kiosk builds a screen the first time it shows it (kiosk/ui/app.py, ScreenShelf): a
patient who goes from the PIN pad to today's exercise never has the settings, pairing,
installer or writing screens (their widgets and label textures) in memory. By touch,
offscreen: at the PIN pad only the lock screen exists; the patient's PIN builds today's
list; Settings is built when tapped and shows as it did; a text-size change rebuilds only
what is shown next."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy  # noqa: E402

configure_kivy((800, 480), fullscreen=False, pi=False)

from tests.helpers.kiosk_touch import (TEST_PIN, enter, provision,  # noqa: E402
                                       running_kiosk, tap, texts)

from kiosk.adapters.audio import AudioCues  # noqa: E402
from kiosk.adapters.sources import SimSourceFactory  # noqa: E402
from kiosk.model import KioskModel  # noqa: E402
from kiosk.ui.app import SCREENS  # noqa: E402


def _built(app) -> set[str]:  # type: ignore[no-untyped-def]
    in_manager = {s.name for s in app.sm.screens}
    assert in_manager == set(app.screens), "the manager holds exactly the built screens"
    return in_manager


@pytest.mark.timeout(60)
async def test_screens_are_built_when_first_shown(tmp_path: Path) -> None:
    data = tmp_path / "data"
    provision(data)
    model = KioskModel(data, sources=SimSourceFactory())
    async with running_kiosk(model, pin=None, audio=AudioCues(enabled=False)) as app:
        assert _built(app) == {"lock"}
        assert set(SCREENS) <= set(app.screens.names)  # it can still show every screen
        await enter(app, TEST_PIN)
        first = _built(app)
        assert app.sm.current in first and "lock" in first
        assert not first & {"settings", "pairing", "installer", "compose", "feedback",
                            "reminders", "progress"}, first

        app.flow.go("today")  # past the first-run questions (tested elsewhere)
        await tap(app, "Settings")
        assert app.sm.current == "settings" and app.bar.title.text == "Settings"
        assert "Installer settings" in texts(app)  # built whole, drawn as before
        assert "settings" in _built(app) and "pairing" not in _built(app)

        every = app.screens.every()  # what a check of every screen asks for
        assert [s.name for s in every] == list(app.screens.names)
        assert _built(app) == set(app.screens.names)
        with pytest.raises(KeyError):
            app.screens["no-such-screen"]
