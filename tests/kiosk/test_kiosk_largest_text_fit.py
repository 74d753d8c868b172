"""The exercise's own screens show whole at every text size, at 800x480 and 1280x800, in
English and Spanish (offscreen kiosk, issue 15): Pain with its 'Please stop' advice, the
instruction screen, the summary and the feedback question. Seen in the screenshots at the
largest text, 800x480, Spanish: the pain advice cut to one line mid-sentence, 'Mire la
figura y muévase igual' cut top and bottom under the figure, the summary's comparison
('Movimiento medio 69 (objetivo 70°), más que la última vez') cut, and 'Escribir con mis
palabras' wider than its 230 dp button."""

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

from kivy.core.window import Window  # noqa: E402
from kivy.uix.button import Button  # noqa: E402
from kivy.uix.label import Label  # noqa: E402
from text_fit import button_overflow, overflow  # noqa: E402
from unlocked_kiosk import unlocked_kiosk  # noqa: E402

from kiosk.settings import TEXT_SCALES  # noqa: E402
from kiosk.vm.feedback import FeedbackVM  # noqa: E402
from kiosk.vm.summary import SummaryVM  # noqa: E402

WINDOWS = ((800, 480), (1280, 800))  # the 7" panel and the 10" one


def _misfits(screen: Any) -> list[str]:
    """Every label on ``screen`` whose wrapped text needs more than its box, every button
    whose words (wrapped as BigButton wraps them, 12 dp in) need more than it, and anything
    outside the screen."""
    sx, sy = screen.to_window(screen.x, screen.y)
    out = []
    for w in screen.walk(restrict=True):
        if not isinstance(w, Label) or not w.text.strip() or w.shorten:
            continue  # a shortened line ('...') is cut on purpose (the typed words)
        x, y = w.to_window(w.x, w.y)
        if x < sx - 1 or y < sy - 1 or x + w.width > sx + screen.width + 1 \
                or y + w.height > sy + screen.height + 1:
            out.append(f"{w.text[:40]!r} off the screen")
        if isinstance(w, Button):
            if problem := button_overflow(w):
                out.append(f"{w.text!r} {problem}")
        elif problem := overflow(w):
            out.append(f"{w.text[:40]!r}: {problem}")
    return out


def _summary(name: str) -> SummaryVM:
    """A set of 10 of 20 reps, two too fast, a little more movement than last time."""
    roms = (64.0, 62.0, 66.0, 73.0, 65.0, 72.0, 74.0, 69.0, 66.0, 70.0)
    return SummaryVM(name, 10, 20, roms, 70.0, 8, (("too_fast", 2),), 69.0, 67.0, 20, 3, 4,
                     False)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("language", ["en", "es"])
async def test_the_exercise_screens_show_whole_at_every_text_size(tmp_path: Path,
                                                                  language: str) -> None:
    from kiosk.vm.pain import PainStage, PainVM

    original = Window.size
    try:
        async with unlocked_kiosk(tmp_path, language) as app:
            flow, model = app.flow, app.model
            flow.go("today")
            plan, _demo = model.plan()
            flow.start_exercise(plan.exercises[0])  # the run the instruction screen shows
            name = plan.exercises[0].name
            problems: list[str] = []
            for scale in TEXT_SCALES:
                flow.change_settings(text_scale=scale)  # the screens are built again
                for size in WINDOWS:
                    Window.size = size
                    where = f"{size[0]}x{size[1]} text x{scale}"
                    for stage in (PainStage.BEFORE, PainStage.AFTER):
                        flow.pain_vm = PainVM(stage)
                        flow.pain_vm.choose(8)  # flagged: 'Please stop' and the advice
                        flow.go_direct("pain")
                        await asyncio.sleep(0.25)  # laid out
                        problems += [f"{where} pain {stage}: {m}"
                                     for m in _misfits(app.screens["pain"])]
                    for screen, setup in (
                            ("instruction", None),
                            ("summary", lambda: setattr(flow, "summary_vm", _summary(name))),
                            ("feedback", lambda: setattr(flow, "feedback_vm",
                                                         FeedbackVM(None, name)))):
                        if setup is not None:
                            setup()
                        flow.go_direct(screen)
                        await asyncio.sleep(0.25)
                        problems += [f"{where} {screen}: {m}"
                                     for m in _misfits(app.screens[screen])]
            assert problems == [], "\n".join(problems)
    finally:
        Window.size = original


def _whole_on_screen(w: Any, screen: Any) -> bool:
    """``w`` entirely inside ``screen`` and inside every ScrollView around it (no scroll
    needed to see or tap all of it)."""
    from kivy.uix.scrollview import ScrollView

    x, y = w.to_window(w.x, w.y)
    boxes = [screen]
    p = w.parent
    while p is not None and p is not screen:
        if isinstance(p, ScrollView):
            boxes.append(p)
        p = p.parent
    for box in boxes:
        bx, by = box.to_window(box.x, box.y)
        if x < bx - 1 or y < by - 1 or x + w.width > bx + box.width + 1 \
                or y + w.height > by + box.height + 1:
            return False
    return True


@pytest.mark.timeout(120)
@pytest.mark.parametrize("language", ["en", "es"])
async def test_the_check_in_answer_button_needs_no_scroll(tmp_path: Path,
                                                         language: str) -> None:
    """The first-run questions and the daily safety check: their questions may scroll at
    800x480, their button (Send answers / Please answer every question) is whole on the
    screen at every text size and both window sizes (it was under the questions, below the
    fold at 800x480 even at normal text)."""
    from kiosk.i18n import _
    from kiosk.vm.intake import IntakeVM

    original = Window.size
    try:
        async with unlocked_kiosk(tmp_path, language) as app:
            flow = app.flow
            hidden: list[str] = []
            for scale in TEXT_SCALES:
                flow.change_settings(text_scale=scale)
                for size in WINDOWS:
                    Window.size = size
                    for first_run in (True, False):
                        flow.intake_vm = IntakeVM(first_run=first_run)
                        flow.go_direct("intake")
                        await asyncio.sleep(0.25)  # laid out
                        screen = app.screens["intake"]
                        found = [w for w in screen.walk(restrict=True) if isinstance(w, Button)
                                 and w.text == _("Please answer every question")]
                        assert len(found) == 1
                        if not _whole_on_screen(found[0], screen):
                            hidden.append(f"{size[0]}x{size[1]} text x{scale} "
                                          f"first run {first_run}")
            assert hidden == [], "\n".join(hidden)
    finally:
        Window.size = original
