"""Three screens that were cramped at 800x480 (offscreen, Spanish, the demo data):
Today at extra large text (1.4) cut its own lines ('Empiece su racha hoy', the exercise
detail lines: the rows had fixed heights); Messages left the list ~140 px so a second message
was cut mid-line; Progress squashed the 'Movement' plot to ~50 px. Each is measured here:
every Today label's wrapped text against its box, the message list's height, the plot's."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy  # noqa: E402

configure_kivy((800, 480), fullscreen=False, pi=False)

from text_fit import overflow  # noqa: E402
from unlocked_kiosk import unlocked_kiosk  # noqa: E402

from kiosk import i18n  # noqa: E402
from kiosk.demo_data import seed  # noqa: E402

MIN_LIST_PX = 240  # two short messages whole (a card is ~90 px at 800x480)
SHOTS = os.environ.get("G3SHOTS")
MIN_PLOT_PX = 120  # a line plot whose days and degrees can be told apart


def _cut_labels(screen) -> list[str]:  # type: ignore[no-untyped-def]
    """Every label on ``screen`` whose text, wrapped at its width, needs more than its box."""
    from kivy.uix.label import Label

    cut = []
    for w in screen.walk(restrict=True):
        if not isinstance(w, Label) or not w.text or type(w).__name__ == "BigButton":
            continue
        if problem := overflow(w):
            cut.append(f"{w.text[:40]!r}: {problem}")
    return cut


def _cut_buttons(screen) -> list[str]:  # type: ignore[no-untyped-def]
    """Buttons on ``screen`` whose words, wrapped as the button wraps them, overflow it."""
    from kivy.uix.button import Button
    from kivy.uix.label import Label

    cut = []
    for b in screen.walk(restrict=True):
        if isinstance(b, Button) and b.text:
            need = Label(text=b.text, font_size=b.font_size, bold=b.bold,
                         text_size=(b.text_size[0], None))
            need.texture_update()
            if need.texture_size[1] > b.height - 4 or need.texture_size[0] > b.width:
                cut.append(f"{b.text!r}: {need.texture_size} in {b.size}")
    return cut


@pytest.mark.timeout(120)
async def test_today_messages_progress_have_room_at_800x480(tmp_path: Path) -> None:
    from kivy.uix.scrollview import ScrollView

    from kiosk.ui.widgets import LinePlot

    async with unlocked_kiosk(tmp_path, "es") as app:
        flow, model = app.flow, app.model
        cut: list[str] = []
        for seeded in (False, True):  # no streak yet ('Empiece su racha hoy'), then history
            if seeded:
                seed(model.store, model.plan()[0], model.clock.now())
            for scale in (1.0, 1.4):
                flow.change_settings(text_scale=scale)
                flow.go("today")
                await asyncio.sleep(0.1)  # laid out: heights follow the textures
                assert app.sm.current == "today"
                texts = [w.text for w in app.screens["today"].box.walk(restrict=True)
                         if hasattr(w, "texture_size")]
                assert seeded or i18n._("Start your streak today") in texts
                cut += [f"today x{scale}: {c}" for c in _cut_labels(app.screens["today"].box)]
                if SHOTS:
                    from kivy.core.window import Window
                    Window.screenshot(name=f"{SHOTS}/today_{seeded}_{scale}.png")
        assert cut == [], '\n'.join(cut)
        flow.change_settings(text_scale=1.0)
        assert len(model.messages().lines) >= 2  # the demo data has a conversation
        flow.go("messages")
        await asyncio.sleep(0.1)
        lists = [w for w in app.screens["messages"].walk() if isinstance(w, ScrollView)]
        assert lists and lists[0].height >= MIN_LIST_PX, f"list {lists[0].height:.0f} px"
        flow.change_settings(text_scale=1.4)  # the reply buttons beside it keep their words
        flow.go("messages")
        await asyncio.sleep(0.1)
        if SHOTS:
            from kivy.core.window import Window
            Window.screenshot(name=f"{SHOTS}/messages_1.4.png")
        assert _cut_buttons(app.screens["messages"]) == []
        flow.change_settings(text_scale=1.0)
        flow.go("progress")
        await asyncio.sleep(0.1)
        plots = [w for w in app.screens["progress"].walk() if isinstance(w, LinePlot)]
        assert len(plots) == 2
        assert min(p.height for p in plots) >= MIN_PLOT_PX, [round(p.height) for p in plots]
