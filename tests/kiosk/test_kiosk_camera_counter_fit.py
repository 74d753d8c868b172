"""The rep counter fits its box beside the camera picture and without it (offscreen kiosk),
at every text size Settings offers, at 800x480 (the smallest screen) and 1280x800, in
English and Spanish: the live screen of a camera exercise (the stand-in camera,
``camera_live_set``) gives the count a box at least as tall as its digits at the 40 sp floor,
and the reps line, the cue, the timer and the last rep's ROM under it each show whole. Before,
the box was shorter than the floor and the digit ran into the reps line ('1' touching 'de 10
repeticiones', 27_camera_live_800x480 in Spanish); at the largest text size the reps line's
second line ('Serie 1 de 2') ran into the cue under it."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy  # noqa: E402

configure_kivy((800, 480), fullscreen=False, pi=False)

from camera_live_set import left_elbow_camera_set  # noqa: E402
from tests.helpers.kiosk_touch import until  # noqa: E402
from text_fit import overflow, wrapped_size  # noqa: E402

from kivy.core.window import Window  # noqa: E402
from kivy.metrics import sp  # noqa: E402

from kiosk import i18n  # noqa: E402
from kiosk.i18n import _, ngettext  # noqa: E402
from kiosk.settings import TEXT_SCALES  # noqa: E402
from kiosk.ui import theme as T  # noqa: E402
from kiosk.ui.screens_exercise import SMALLEST_CUE_SP  # noqa: E402
from kiosk.vm.live import GOOD_REP  # noqa: E402

pytestmark = pytest.mark.timeout(120)
WINDOWS = ((800, 480), (1280, 800))  # the 7" panel and the 10" one


def _misfits(live) -> list[str]:  # type: ignore[no-untyped-def]
    """What does not fit on the live screen's right column: the counter's digits taller
    than its box or below the floor, a line under it (or the hold line above) cut, or two
    of them overlapping."""
    out = []
    reps = live.reps
    reps.texture_update()
    if reps.font_size < T.fs(40) - 0.01:
        out.append(f"count at {reps.font_size:.1f} px, under the 40 sp floor")
    if reps.texture_size[1] > reps.height + 1:
        out.append(f"count {reps.texture_size[1]:.0f} px tall in a {reps.height:.0f} px box")
    column = (reps, live.of, live.cue, live.timer, live.last_rom)
    for w in (live.hold, *column[1:]):
        if w.text and (problem := overflow(w)):
            out.append(f"{w.text!r}: {problem}")
    for upper, lower in zip(column, column[1:]):
        if lower.top > upper.y + 1:
            out.append(f"{upper.text!r} and {lower.text!r} overlap")
    sensors = live.sensors  # the wearables' line over the buttons: one line of it fits
    line_h = wrapped_size(sensors, "Ág")[1]  # (its own texture is cut to its box)
    if line_h > sensors.height + 1:
        out.append(f"{sensors.text!r}: a line {line_h:.0f} px tall in a "
                   f"{sensors.height:.0f} px box")
    for button in live.buttons.children:  # each of them, not only their row
        if button.top > sensors.y + 1:
            out.append(f"{button.text!r} over {sensors.text!r}")
    return out


def _cues() -> list[str]:
    """Every cue a set can show (translated)."""
    return [_(GOOD_REP), _("Go a little further"), _("Lift higher"), _("Slow down"),
            ngettext("Hold {n} more second", "Hold {n} more seconds", 2).format(n=2),
            _("Sensor signal was lost for a moment")]


async def _laid_out(app) -> Any:  # type: ignore[no-untyped-def]
    """The live screen (built again when the text size changed), laid out and refreshed."""
    await asyncio.sleep(0.2)
    live = app.screens["live"]
    live.refresh()
    await asyncio.sleep(0.1)  # the refresh's sizes laid out
    live.refresh()
    return live


async def _misfits_everywhere(app, where: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Every cue on the live screen as it is, then what does not fit (``where`` prefixed)."""
    live = await _laid_out(app)
    run = app.model.run
    out = [f"{where}: {m}" for m in _misfits(live)]
    for cue in _cues():  # as a rep's cue reaches the screen (no await: no frame between)
        run.live.cue = cue
        live.refresh()
        if problem := overflow(live.cue):
            out.append(f"{where}: cue {cue!r}: {problem}")
        if live.cue.font_size < sp(SMALLEST_CUE_SP) - 0.01:
            out.append(f"{where}: cue {cue!r} at {live.cue.font_size:.1f} px, under its floor")
    run.live.cue = ""
    live.refresh()
    return out


@pytest.mark.parametrize("language", ["en", "es"])
async def test_the_count_fits_beside_the_camera_picture(tmp_path: Path, language: str) -> None:
    original = Window.size
    try:
        async with left_elbow_camera_set(tmp_path, language) as (app, live):
            run = app.model.run
            assert run is not None
            await until(lambda: run.live.reps_in_set >= 1 and bool(live.last_rom.text), 30,
                        "a rep counted and measured")
            camera = run.camera_latest
            problems: list[str] = []
            for scale in TEXT_SCALES:
                app.flow.change_settings(text_scale=scale)  # the screens are built again
                for size in WINDOWS:
                    Window.size = size
                    run.camera_latest = camera
                    where = f"{size[0]}x{size[1]} text x{scale}"
                    problems += await _misfits_everywhere(app, f"{where} camera")
                    assert app.screens["live"].camera is not None
                    run.camera_latest = None  # the same screen without the camera (wearables)
                    problems += await _misfits_everywhere(app, f"{where} wearables")
                    assert app.screens["live"].camera is None
                    run.live.watched = True  # 'Your therapist is watching': a line less room
                    run.camera_latest = camera
                    problems += await _misfits_everywhere(app, f"{where} camera, watched")
                    run.live.watched = False
            assert problems == [], "\n".join(problems)
    finally:
        Window.size = original
        i18n.set_language("en")
