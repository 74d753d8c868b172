"""The top bar's title shows whole on the smallest screen (800x480, offscreen) in English
and Spanish: every screen's title, every catalogue exercise's name (instruction and live
screens) and the summary's 'Summary · name', and in Spanish at extra large text. The bar's buttons are as wide as their words;
the title takes the rest and wraps to two lines or shrinks (not below its readable minimum)
rather than ending in '…' ('Daily safety c…', 'Extensión de rodilla en si…' before)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy  # noqa: E402

configure_kivy((800, 480), fullscreen=False, pi=False)

from text_fit import overflow  # noqa: E402
from unlocked_kiosk import unlocked_kiosk  # noqa: E402

from exercises import CATALOGUE  # noqa: E402
from kiosk import i18n  # noqa: E402
from kiosk.vm.compose import PURPOSES  # noqa: E402

DYNAMIC = ("Welcome", "Daily safety check", "Pain before", "Pain after", "Reminders",
           "How did it go?", "Camera set-up", *PURPOSES.values())


def _titles(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Every title the bar shows, in the kiosk's language now."""
    _ = i18n._
    names = [_(ex.name) for ex in CATALOGUE.values()]
    fixed = [type(s).title for s in app.screens.every() if isinstance(type(s).title, str)]
    return sorted({_(t) for t in (*fixed, *DYNAMIC) if t} | set(names)
                  | {_("Summary · {name}").format(name=n) for n in names})


async def _cut_titles(app) -> list[str]:  # type: ignore[no-untyped-def]
    from kivy.metrics import sp

    from kiosk.ui.base import SMALLEST_TITLE_SP

    cut = []
    assert app.sm.current == "today" and app.bar.height > 40  # the bar is shown
    for title in _titles(app):
        app.screens["today"].title = title  # the screen's title, as a screen sets it
        app.status()  # the bar shows the current screen's title
        await asyncio.sleep(0.03)  # a frame or two: the fit applied
        label = app.bar.title
        assert label.text == title
        problem = overflow(label)  # the whole text wrapped at the title's width (no '…')
        if problem or label.shorten:
            cut.append(f"{title!r}: {problem or 'shortened'} at {label.font_size:.1f} px")
        assert label.font_size >= sp(SMALLEST_TITLE_SP) - 0.01, title  # still readable
    return cut


@pytest.mark.timeout(120)
async def test_every_title_shows_whole_at_800x480_in_both_languages(tmp_path: Path) -> None:
    async with unlocked_kiosk(tmp_path, "en") as app:
        await asyncio.sleep(0.05)
        assert app.root.width == 800
        app.flow.go("today")
        await asyncio.sleep(0.05)
        assert app.bar.title.width > 250  # the buttons leave the title most of the bar
        cut = await _cut_titles(app)
        app.flow.choose_language("es")  # rebuilds the bar and the screens
        app.flow.go("today")
        await asyncio.sleep(0.05)
        assert i18n._("Summary · {name}") == "Resumen · {name}"
        cut += await _cut_titles(app)
        app.flow.change_settings(text_scale=1.4)  # extra large text: wider buttons
        app.flow.go("today")
        await asyncio.sleep(0.05)
        cut += await _cut_titles(app)
        assert cut == []
        # the buttons keep their words on one line, at least a finger wide
        for text in ("Hoy", "Progreso", "Mensajes", "Ajustes", "Bloquear"):
            btn = next(w for w in app.bar.walk() if getattr(w, "text", None) == text)
            btn.text_size = (btn.width - 12, None)
            btn.texture_update()
            assert btn.texture_size[1] < 1.6 * btn.font_size, f"{text} wraps"
            assert btn.width >= 48, text
