"""Helpers for driving the running kiosk with real touches (Kivy's UnitTestTouch goes
through the event loop's input dispatch, as a finger on the screen would)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from kivy.tests.common import UnitTestTouch
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from tests.helpers.waiting import until as until  # the touch tests import it from here


def _parents(w: Widget) -> list[Widget]:
    out = []
    while w.parent is not None and w.parent is not w.get_root_window():
        w = w.parent
        out.append(w)
    return out


def buttons(app: Any, text: str) -> list[Button]:
    return [w for w in app.root.walk() if isinstance(w, Button) and w.text == text
            and not w.disabled and w.get_root_window() is not None]


def texts(app: Any) -> list[str]:
    return [w.text for w in app.root.walk() if isinstance(w, Label) and w.text]


async def _placed(w: Widget) -> None:
    """Wait (at most a second) while ``w`` is still at Kivy's default place, (0, 0) and
    100x100: a widget just added (a screen refilled, the pain screen re-used after a set)
    has it until the next layout pass, and a tap at its centre would land beside it."""
    for _ in range(40):
        if (*w.pos, *w.size) != (0, 0, 100, 100):
            return
        await asyncio.sleep(0.025)  # Kivy's clock ticks at up to 60 Hz in the same loop


def _on_screen(w: Widget) -> bool:
    """The widget's centre is inside the window and inside every enclosing ScrollView."""
    x, y = w.to_window(*w.center)
    win = w.get_root_window()
    if not (0 < x < win.width and 0 < y < win.height):
        return False
    p = w.parent
    while p is not None and p is not win:
        if isinstance(p, ScrollView):
            px, py = p.to_window(p.x, p.y)
            if not (px <= x <= px + p.width and py <= y <= py + p.height):
                return False
        p = p.parent
    return True


async def swipe(x: float, y: float, dy: float) -> None:
    """A finger drag by ``dy`` pixels (negative: content moves down)."""
    t = UnitTestTouch(x, y)
    t.touch_down()
    for i in range(1, 9):
        await asyncio.sleep(0.02)
        t.touch_move(x, y + dy * i / 8)
    # the finger held still before it lifts, as a hand placing the list does: the scroll
    # stops where the drag put it. Lifted moving, the view flung on (150 px dragged moved the
    # list ~330 px) and a button just past the view's edge was flung past the other edge,
    # then back, twelve times over ('could not scroll to' an intake answer)
    for _ in range(6):
        await asyncio.sleep(0.03)
        t.touch_move(x, y + dy)
    t.touch_up()
    await asyncio.sleep(0.3)  # let the scroll settle


async def tap(app: Any, text: str, index: int = 0, settle_s: float = 0.08) -> None:
    """Press and release the ``index``-th button labelled ``text``, scrolling to it with a
    finger drag first if it is off screen (a tap never lands on a hidden widget)."""
    for _ in range(40):  # the screen may still be catching up with the state (a frame)
        # and a screen change ends on the frame after it (even Kivy's NoTransition): until
        # then the ScreenManager drops every touch (a PIN's first digit tapped as the lock
        # screen came up was lost on a loaded machine, the PIN then wrong)
        if len(buttons(app, text)) > index and not app.sm.transition.is_active:
            break
        await asyncio.sleep(0.05)
    for _ in range(12):
        found = buttons(app, text)
        assert len(found) > index, f"no button {text!r} on {app.sm.current}: {texts(app)}"
        b = found[index]
        await _placed(b)
        if _on_screen(b):
            break
        sv = next(p for p in _parents(b) if isinstance(p, ScrollView))
        sx, sy = sv.to_window(*sv.center)
        bx, by = b.to_window(*b.center)
        # drag the button towards the view's middle: as far as it is from it, 40-150 px
        await swipe(sx, sy, max(40.0, min(150.0, abs(sy - by))) * (1 if by < sy else -1))
    else:
        raise AssertionError(f"could not scroll to {text!r}")
    x, y = b.to_window(*b.center)
    t = UnitTestTouch(x, y)
    t.touch_down()
    await asyncio.sleep(0.03)
    t.touch_up()
    await asyncio.sleep(settle_s)


# A kiosk as installed: the patient's PIN and the installer code (kiosk.settings), so a
# test starts at the PIN pad rather than at "choose a PIN".
TEST_PIN = "2580"
TEST_CODE = "246813"


def provision(data_dir: Any, pin: str = TEST_PIN, code: str = TEST_CODE) -> None:
    from pathlib import Path

    from kiosk.settings import load_settings, save_settings

    Path(data_dir).mkdir(parents=True, exist_ok=True)
    save_settings(Path(data_dir), load_settings(Path(data_dir)).with_pin(pin).with_code(code))


async def enter(app: Any, digits: str) -> None:
    """Type ``digits`` on the PIN pad and press OK."""
    for d in digits:
        await tap(app, d)
    await tap(app, "OK")


@asynccontextmanager
async def running_kiosk(model: Any, app_class: Any = None, pin: str | None = TEST_PIN,
                        **app_kw: Any) -> AsyncIterator[Any]:
    """The kiosk app (``app_class``, KioskApp by default, given ``model`` and ``app_kw``)
    running in this event loop, its first frame drawn and ``pin`` entered on the PIN pad
    (None: left at the PIN pad). On leaving: the app stops, its task ends, the model
    closes. Configure Kivy (offscreen) before."""
    if app_class is None:
        from kiosk.ui.app import KioskApp

        app_class = KioskApp
    app = app_class(model, **app_kw)
    task = asyncio.ensure_future(app.async_run(async_lib="asyncio"))
    try:
        await asyncio.wait_for(app.first_frame.wait(), 30)
        if pin is not None:
            await enter(app, pin)
        yield app
    finally:
        app.stop()
        await asyncio.wait_for(task, 10)
        model.close()
