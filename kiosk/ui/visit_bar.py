"""The bar above the screen while a video call runs elsewhere: "Video call with your
therapist: camera and microphone on" and a big "Back to your therapist" (on the call's
screen, while a set is open: "Back to your exercise"). Draws
:meth:`kiosk.vm.flow_visit.VisitActions.visit_bar`; the button calls
``flow.visit_bar_pressed``. Hidden (no height) when there is nothing to say."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.graphics import Color, Rectangle
from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout

from kiosk.ui import theme as T
from kiosk.ui.widgets import BigButton, Txt

if TYPE_CHECKING:
    from kiosk.vm.flow_visit import VisitBar

BAR_H = 56
CALL_BG = (0.07, 0.42, 0.22, 1)  # a call on: green, unlike the blue top bar
RECORDING_BG = T.DANGER  # the clinic records: red


class VisitBarView(BoxLayout):
    def __init__(self, on_press: Any, **kw: Any) -> None:
        super().__init__(orientation="horizontal", size_hint_y=None, height=0,
                         padding=(dp(10), dp(4)), spacing=dp(8), **kw)
        with self.canvas.before:
            self._colour = Color(*CALL_BG)
            self._rect = Rectangle(pos=self.pos, size=self.size)
        self.bind(pos=lambda *_: setattr(self._rect, "pos", self.pos),
                  size=lambda *_: setattr(self._rect, "size", self.size))
        self.text = Txt("", 19, T.WHITE, bold=True, fill=True, shorten=True,
                        shorten_from="right", size_hint_x=1.6)
        self.button = BigButton("", on_press, T.WHITE, size=19, height=BAR_H - 8,
                                text_colour=T.TEXT, size_hint_x=1)
        self.update(None)

    def update(self, bar: VisitBar | None) -> None:
        shown = bar is not None
        self.height = T.touch_h(BAR_H) if shown else 0
        self.opacity = 1 if shown else 0
        if bar is None:  # no children left: nothing of it can take a touch
            self.clear_widgets()
            return
        if not self.children:
            self.add_widget(self.text)
            self.add_widget(self.button)
        self.text.text = bar.text
        self.button.text = bar.button
        self._colour.rgba = RECORDING_BG if bar.recording else CALL_BG
