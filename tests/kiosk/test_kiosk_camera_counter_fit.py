"""The rep counter fits its box beside the camera picture and without it (offscreen kiosk,
800x480, the smallest screen), in English and Spanish: the live screen of a camera exercise (the
stand-in camera, ``camera_live_set``) gives the count a box at least as tall as its digits
at the 40 sp floor, and the reps line, the cue, the timer and the last rep's ROM under it
each show whole. Before, the box was shorter than the floor and the digit ran into the reps
line ('1' touching 'de 10 repeticiones', 27_camera_live_800x480 in Spanish)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy  # noqa: E402

configure_kivy((800, 480), fullscreen=False, pi=False)

from camera_live_set import left_elbow_camera_set  # noqa: E402
from tests.helpers.kiosk_touch import until  # noqa: E402
from text_fit import overflow  # noqa: E402

from kiosk import i18n  # noqa: E402
from kiosk.i18n import _, ngettext  # noqa: E402
from kiosk.ui import theme as T  # noqa: E402
from kiosk.ui.screens_exercise import SMALLEST_CUE_SP  # noqa: E402
from kiosk.vm.live import GOOD_REP  # noqa: E402

pytestmark = pytest.mark.timeout(90)


def _misfits(live) -> list[str]:  # type: ignore[no-untyped-def]
    """What does not fit on the live screen's right column: the counter's digits taller
    than its box or below the floor, a line under it cut, or two of them overlapping."""
    out = []
    reps = live.reps
    reps.texture_update()
    if reps.font_size < T.fs(40) - 0.01:
        out.append(f"count at {reps.font_size:.1f} px, under the 40 sp floor")
    if reps.texture_size[1] > reps.height + 1:
        out.append(f"count {reps.texture_size[1]:.0f} px tall in a {reps.height:.0f} px box")
    column = (reps, live.of, live.cue, live.timer, live.last_rom)
    for w in column[1:]:
        if w.text and (problem := overflow(w)):
            out.append(f"{w.text!r}: {problem}")
    for upper, lower in zip(column, column[1:]):
        if lower.top > upper.y + 1:
            out.append(f"{upper.text!r} and {lower.text!r} overlap")
    return out


@pytest.mark.parametrize("language", ["en", "es"])
async def test_the_count_fits_beside_the_camera_picture(tmp_path: Path, language: str) -> None:
    try:
        async with left_elbow_camera_set(tmp_path, language) as (app, live):
            run = app.model.run
            assert run is not None
            await until(lambda: run.live.reps_in_set >= 1 and bool(live.last_rom.text), 30,
                        "a rep counted and measured")
            await asyncio.sleep(0.2)  # laid out
            assert _misfits(live) == [], live.of.text
            # every cue the set can show fits the cue's box too
            cues = [_(GOOD_REP), _("Go a little further"), _("Lift higher"), _("Slow down"),
                    ngettext("Hold {n} more second", "Hold {n} more seconds", 2).format(n=2),
                    _("Sensor signal was lost for a moment")]
            cut = []
            for cue in cues:  # as a rep's cue reaches the screen (no await: no frame between)
                run.live.cue = cue
                live.refresh()
                if problem := overflow(live.cue):
                    cut.append(f"{cue!r}: {problem}")
                assert live.cue.font_size >= T.fs(SMALLEST_CUE_SP) - 0.01
            assert cut == []
            assert _misfits(live) == []
            run.camera_latest = None  # the same screen without the camera (wearables only)
            live.refresh()
            await asyncio.sleep(0.2)  # laid out again
            live.refresh()
            assert live.camera is None and _misfits(live) == []
    finally:
        i18n.set_language("en")
