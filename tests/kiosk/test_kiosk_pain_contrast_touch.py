"""The pain scale's digits are readable on their colours (offscreen kiosk, 800x480): every
button of "How much pain do you feel right now?", before a choice (all eleven coloured) and
with each rating chosen, keeps its text at >= 3:1 against its background (WCAG 2 contrast
for large bold text). The amber 5 was white on (0.78, 0.55, 0.1): 2.9:1, seen in the
screenshots."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Sequence

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy

configure_kivy((800, 480), fullscreen=False, pi=False)

from kivy.uix.button import Button  # noqa: I001
from tests.helpers.kiosk_touch import provision, running_kiosk, until
from flow_helpers import silent_audio

from kiosk.model import KioskModel
from therapy.plan import Side, exercise_from_catalogue

pytestmark = pytest.mark.timeout(90)
LARGE_BOLD_MIN = 3.0  # WCAG 2.x, 1.4.3: large (>= 14 pt bold) text


def luminance(rgba: Sequence[float]) -> float:
    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(c) for c in rgba[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: Sequence[float], b: Sequence[float]) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_formula_matches_wcag_examples() -> None:
    assert contrast((1, 1, 1, 1), (0, 0, 0, 1)) == pytest.approx(21.0)
    assert contrast((1, 1, 1, 1), (0.4627, 0.4627, 0.4627, 1)) == pytest.approx(4.54, abs=0.01)


async def test_every_pain_digit_is_readable_on_its_colour(tmp_path: Path) -> None:
    data = tmp_path / "dev"
    provision(data)
    model = KioskModel(data)
    async with running_kiosk(model, audio=silent_audio()) as app:
        app.flow.start_exercise(exercise_from_catalogue("knee_extension_seated", Side.RIGHT))
        await until(lambda: app.sm.current == "pain", 5, "the pain screen")
        screen = app.screens["pain"]
        low: list[str] = []
        for chosen in (None, *range(11)):
            if chosen is not None:
                screen.choose(chosen)
            digits = [w for w in screen.walk(restrict=True)
                      if isinstance(w, Button) and w.text.isdigit()]
            assert sorted(int(w.text) for w in digits) == list(range(11))
            low += [f"{w.text} (chosen {chosen}): {contrast(w.background_color, w.color):.2f}"
                    for w in digits
                    if contrast(w.background_color, w.color) < LARGE_BOLD_MIN]
        assert low == []
