"""A large on-screen keyboard (a key grid, 10 keys a row: about 76 px wide at 800x480)
for typing to the therapist. Presses go to a callback; the view-model
(:class:`kiosk.vm.compose.ComposeVM`) holds the text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from kiosk.i18n import _
from kiosk.ui import theme as T
from kiosk.ui.widgets import BigButton
from kiosk.vm.compose import BACKSPACE, EXTRA, ROWS, SHIFT, SPACE


class KeyGrid(BoxLayout):
    """Rows of letter keys, then ⇧, accents, space and ⌫. ``press(key)`` per touch."""

    def __init__(self, press: Callable[[str], None], shift: bool, **kw: Any) -> None:
        super().__init__(orientation="vertical", spacing=dp(4), **kw)
        self.keys: dict[str, BigButton] = {}
        for row in ROWS:
            g = GridLayout(cols=len(row), spacing=dp(4))
            for ch in row:
                g.add_widget(self._key(ch.upper() if shift else ch, ch, press))
            self.add_widget(g)
        last = BoxLayout(spacing=dp(4))
        last.add_widget(self._key(SHIFT, SHIFT, press, T.PRIMARY if shift else T.GREY,
                                  size_hint_x=1.2))
        for ch in EXTRA[0] + EXTRA[1]:
            last.add_widget(self._key(ch.upper() if shift and ch.isalpha() else ch, ch, press))
        last.add_widget(self._key(_("space"), SPACE, press, size_hint_x=3))
        last.add_widget(self._key(BACKSPACE, BACKSPACE, press, T.WARN, size_hint_x=1.4))
        self.add_widget(last)

    def _key(self, label: str, key: str, press: Callable[[str], None],
             colour: Any = T.CARD, **kw: Any) -> BigButton:
        b = BigButton(label, lambda: press(key), colour, size=22, size_hint_y=1,
                      text_colour=T.TEXT if colour in (T.CARD, T.GREY) else T.WHITE,
                      font_name="DejaVuSans", **kw)
        self.keys[key] = b
        return b
