"""No button lies over another on the kiosk's screens (offscreen kiosk, 800x480, as the
patient and the installer reach them): what a look at every screenshot found on the
reminders screen, whose -1 h / -15 / +15 / +1 h / Remove buttons were 72 dp tall in 64 dp
rows and ran into the row below (BigButton's size_hint_y=None won over size_hint=(None, 1)).
Also: each button stays inside the row that holds it, and on Progress no legend line ends in
a colour square whose name wrapped onto the next line."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy

configure_kivy((800, 480), fullscreen=False, pi=False)

from kivy.uix.button import Button  # noqa: I001
from kivy.uix.label import Label
from kivy.uix.widget import Widget
from tests.helpers.kiosk_touch import TEST_CODE, enter, provision, running_kiosk, tap, until
from flow_helpers import silent_audio

from kiosk.demo_data import seed
from kiosk.model import KioskModel
from kiosk.ui.app import KioskApp

pytestmark = pytest.mark.timeout(90)

Box = tuple[float, float, float, float]


def buttons(root: Widget) -> Iterator[Button]:
    for w in root.walk(restrict=True):
        if isinstance(w, Button) and w.get_root_window() is not None and w.opacity > 0:
            yield w


def window_box(w: Widget) -> Box:
    x0, y0 = w.to_window(w.x, w.y)
    return x0, y0, x0 + w.width, y0 + w.height


def overlaps(a: Box, b: Box, slack: float = 0.5) -> bool:
    return (a[0] < b[2] - slack and b[0] < a[2] - slack and a[1] < b[3] - slack
            and b[1] < a[3] - slack)


def problems(screen: Widget) -> list[str]:
    found: list[str] = []
    bs = list(buttons(screen))
    boxes = [window_box(b) for b in bs]
    for i, a in enumerate(bs):
        for j in range(i + 1, len(bs)):
            if overlaps(boxes[i], boxes[j]):
                found.append(f"{a.text!r} {boxes[i]} over {bs[j].text!r} {boxes[j]}")
        parent: Any = a.parent
        p = window_box(parent)
        if not (p[1] - 0.5 <= boxes[i][1] and boxes[i][3] <= p[3] + 0.5):
            found.append(f"{a.text!r} {boxes[i]} outside its row {p}")
    return found


def legend_lines(screen: Widget) -> list[str]:
    """The lines the Progress legends were wrapped into (Kivy's laid-out words)."""
    lines: list[str] = []
    for w in screen.walk(restrict=True):
        if isinstance(w, Label) and w.markup and "■" in w.text:
            w.texture_update()
            lines += ["".join(word.text for word in line.words).strip()
                      for line in w._label._cached_lines]
    return lines


async def _settled(app: KioskApp, name: str) -> Widget:
    await until(lambda: app.sm.current == name, 5, f"the {name} screen")
    await asyncio.sleep(0.3)  # laid out
    return app.screens[name]


async def test_no_button_lies_over_another(tmp_path: Path) -> None:
    data = tmp_path / "dev"
    provision(data)
    model = KioskModel(data)
    seed(model.store, model.plan()[0], model.clock.now())  # weeks of sessions, as in the shots
    async with running_kiosk(model, audio=silent_audio()) as app:
        flow = app.flow
        seen: dict[str, list[str]] = {}
        flow.go("today")
        seen["today"] = problems(await _settled(app, "today"))
        for name in ("Progress", "Messages"):
            await tap(app, name)
            seen[name] = problems(await _settled(app, name.lower()))
            if name == "Progress":  # a legend's square stays with its words
                lines = legend_lines(app.screens["progress"])
                assert lines and not [ln for ln in lines if ln.endswith("■")], lines
        await tap(app, "Settings")  # the patient's own
        seen["settings"] = problems(await _settled(app, "settings"))
        await tap(app, "Installer settings")
        await enter(app, TEST_CODE)
        seen["installer"] = problems(await _settled(app, "installer"))
        flow.open_reminders()
        reminders = await _settled(app, "reminders")
        assert sum(1 for b in buttons(reminders) if b.text == "+1 h") == 2  # two times
        seen["reminders"] = problems(reminders)
        assert seen == {k: [] for k in seen}
