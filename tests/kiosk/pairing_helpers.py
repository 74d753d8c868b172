"""Reaching Settings > Find wearables by touch: the pairing touch and stop tests share it."""

from __future__ import annotations

from typing import Any

from tests.helpers.kiosk_touch import TEST_CODE, TEST_PIN, enter, tap, texts


async def to_settings(app: Any) -> None:
    """Unlock, then Settings behind the PIN again (as a carer would)."""
    await enter(app, TEST_PIN)
    await tap(app, "Settings")
    assert app.sm.current == "lock" and "installer code" in " ".join(texts(app))
    await enter(app, TEST_CODE)
    assert app.sm.current == "settings"
