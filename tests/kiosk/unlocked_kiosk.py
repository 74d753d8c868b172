"""The kiosk running offscreen on the simulated wearables, provisioned and already past the
PIN pad, for tests whose subject is what the screens show (text fit, cramped screens): the
PIN is typed through the flow (the pad has its own touch tests). Import after Kivy is
configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tests.helpers.kiosk_touch import TEST_PIN, provision, running_kiosk
from flow_helpers import silent_audio

from kiosk import i18n
from kiosk.adapters.sources import SimSourceFactory
from kiosk.model import KioskModel


@asynccontextmanager
async def unlocked_kiosk(tmp_path: Path, language: str = "en",
                         **model_kw: Any) -> AsyncIterator[Any]:
    """Yields the running ``KioskApp`` in ``language`` (its model built on
    ``tmp_path / "data"`` with simulated wearables at speed 8 and ``model_kw``), silent
    cues, the test PIN entered. On leaving: the app stops, the model closes, the kiosk's
    language is English again."""
    provision(tmp_path / "data")
    model = KioskModel(tmp_path / "data", sources=SimSourceFactory(speed=8.0), **model_kw)
    try:
        async with running_kiosk(model, pin=None, audio=silent_audio(),
                                 language=language) as app:
            for d in TEST_PIN:
                app.flow.key(d)
            app.flow.submit_entry()
            yield app
    finally:
        i18n.set_language("en")
