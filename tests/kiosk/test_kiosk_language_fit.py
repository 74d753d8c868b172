"""Spanish runs 25-50 % longer than English: on the smallest screen (800x480, offscreen) the
instruction screen shows every catalogue exercise's Spanish name and instructions whole
(the text shrinks to fit its box; nothing is cut off at the bottom), and its "Leer en voz
alta" button, tapped, reads the Spanish text with the Spanish voice."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy  # noqa: E402

configure_kivy((800, 480), fullscreen=False, pi=False)

from tests.helpers.kiosk_touch import tap  # noqa: E402
from unlocked_kiosk import unlocked_kiosk  # noqa: E402

from exercises import CATALOGUE  # noqa: E402
from kiosk import i18n  # noqa: E402
from kiosk.adapters.speech import FakeSpeech, Speaker  # noqa: E402
from therapy.plan import exercise_from_catalogue  # noqa: E402


def _needed_height(label) -> float:  # type: ignore[no-untyped-def]
    """The height ``label``'s text takes wrapped at its width (its own texture is cut to
    its box, so measure with an open height and put the box back)."""
    shown = label.text_size
    label.text_size = (label.width, None)
    label.texture_update()
    need = label.texture_size[1]
    label.text_size = shown
    label.texture_update()
    return float(need)


@pytest.mark.timeout(120)
async def test_every_spanish_instruction_shows_whole_at_800x480(tmp_path: Path) -> None:
    from kiosk.ui.widgets import Txt

    speech = FakeSpeech()
    async with unlocked_kiosk(tmp_path, "es", speaker=Speaker(speech)) as app:
        flow, model = app.flow, app.model
        cut = []
        for ex_id, ex in CATALOGUE.items():
            flow.start_exercise(exercise_from_catalogue(ex_id))
            flow.pain_vm.choose(1)
            flow.pain_done()
            assert app.sm.current == "instruction"
            await asyncio.sleep(0.06)  # laid out (a few frames), the fit applied
            shown = {w.text: w for w in app.screens["instruction"].walk()
                     if isinstance(w, Txt)}
            for text in (i18n._(ex.name), i18n._(ex.instructions)):
                assert text != "" and text in shown, f"{ex_id}: {text[:30]!r} not shown"
                label = shown[text]
                if _needed_height(label) > label.height + 1:
                    cut.append(f"{ex_id}: {text[:30]!r} needs {_needed_height(label):.0f} "
                               f"px, has {label.height:.0f}")
            if ex_id == "heel_slide":  # Read aloud, by touch
                await tap(app, "Leer en voz alta")
                assert speech.said == [(f"{i18n._(ex.name)}. {i18n._(ex.instructions)}", "es")]
                assert speech.said[0][0].startswith("Deslizamiento del talón. Túmbese")
            flow.stop_reading()
            model.run = None
            flow.go("today")
        assert cut == []
