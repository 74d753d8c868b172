"""The instruction screen: the animated body figure (``kiosk/ui/demo_figure.py``, the
simulator's kinematics) instead of the two-stick animation, and Read aloud speaking the
exercise through ``kiosk.adapters.speech.Speaker`` (a FakeSpeech backend here): through
the flow without a screen, then by touch in the offscreen kiosk."""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fake_navigator import Screens
from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy

configure_kivy((800, 480), fullscreen=False, pi=False)

from tests.helpers.kiosk_touch import provision, running_kiosk, tap, texts
from flow_helpers import silent_audio

from exercises import get_exercise
from kiosk.adapters.sources import SimSourceFactory
from kiosk.adapters.speech import FakeSpeech, Speaker
from kiosk.model import KioskModel
from kiosk.vm.flow import KioskFlow
from therapy.plan import exercise_from_catalogue
from therapy.ports import FakeClock

EX = "knee_extension_seated"


def kiosk(data: Path, speech: FakeSpeech, language: str = "en") -> tuple[KioskFlow, KioskModel]:
    provision(data)
    model = KioskModel(data, sources=SimSourceFactory(speed=40.0),
                       clock=FakeClock(datetime.now(UTC)), speaker=Speaker(speech))
    audio = silent_audio()
    return KioskFlow(model, Screens(), audio, language=language), model


def test_read_aloud_speaks_the_exercise_and_stops_when_the_screen_is_left(
        tmp_path: Path) -> None:
    speech = FakeSpeech()
    flow, model = kiosk(tmp_path / "d", speech)
    assert flow.read_aloud() is False and speech.said == []  # no exercise: nothing to read
    flow.start_exercise(exercise_from_catalogue(EX))
    flow.pain_vm.choose(1)
    flow.pain_done()
    assert flow.current == "instruction"
    assert flow.read_aloud() is True
    assert speech.said == [(get_exercise(EX).spoken_text(), "en")]
    flow.read_aloud()  # again while still speaking: the first is cut, said once more
    assert speech.stopped == 1 and len(speech.said) == 2
    flow.stop_reading()  # the screen is left (on_leave)
    assert not speech.speaking and speech.stopped == 2
    model.close()


def test_a_plans_own_instructions_are_read_as_shown_and_english_in_a_spanish_kiosk(
        tmp_path: Path) -> None:
    speech = FakeSpeech()
    flow, model = kiosk(tmp_path / "d", speech, language="es")
    ex = dataclasses.replace(exercise_from_catalogue(EX), name="Knee out",
                             instructions="Straighten the knee slowly, then lower it.")
    flow.start_exercise(ex)
    flow.pain_vm.choose(1)
    flow.pain_done()
    assert flow.read_aloud()
    # exercise texts are not translated (kiosk/locale/README.md): an English voice reads them
    assert speech.said == [("Knee out. Straighten the knee slowly, then lower it.", "en")]
    model.close()


def test_no_synthesiser_is_counted_and_the_screen_goes_on(tmp_path: Path) -> None:
    speech = FakeSpeech(available=False)
    flow, model = kiosk(tmp_path / "d", speech)
    flow.start_exercise(exercise_from_catalogue(EX))
    flow.pain_vm.choose(1)
    flow.pain_done()
    assert flow.read_aloud() is False and model.speaker.errors_ == 1
    assert flow.current == "instruction"
    model.close()


@pytest.mark.timeout(60)
async def test_the_instruction_screen_plays_the_body_figure_and_reads_aloud_by_touch(
        tmp_path: Path) -> None:
    from kiosk.ui.demo_figure import DemoFigure
    from kiosk.ui.widgets import MovementAnim

    speech = FakeSpeech()
    provision(tmp_path / "data")
    model = KioskModel(tmp_path / "data", sources=SimSourceFactory(speed=8.0),
                       speaker=Speaker(speech))
    audio = silent_audio()
    async with running_kiosk(model, audio=audio) as app:
        app.flow.start_exercise(exercise_from_catalogue(EX))
        await asyncio.sleep(0.2)  # the pain screen drawn
        assert app.sm.current == "pain"
        await tap(app, "2")
        await tap(app, "Continue")
        assert app.sm.current == "instruction"
        screen = app.screens["instruction"]
        figures = [w for w in screen.walk() if isinstance(w, DemoFigure)]
        assert len(figures) == 1 and not [w for w in screen.walk()
                                          if isinstance(w, MovementAnim)]
        fig = figures[0]
        assert fig.exercise_id == EX and fig.width > 100 and fig.height > 100
        drawn = fig.frames_drawn_
        await asyncio.sleep(0.5)  # it plays while on screen (15 fps)
        assert fig.frames_drawn_ > drawn and fig.frame_ > 0
        assert "Watch the figure and move the same way." in texts(app)
        await tap(app, "Read aloud")
        assert speech.said == [(get_exercise(EX).spoken_text(), "en")]
        await tap(app, "Start set 1")
        assert app.sm.current == "live" and not speech.speaking  # stopped on leaving
