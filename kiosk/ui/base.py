"""Screen base class and the top bar shown on every screen but the lock screen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.graphics import Color, RoundedRectangle
from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen

from kiosk.i18n import _, ngettext
from kiosk.ui import theme as T
from kiosk.ui.widgets import Badge, BigButton, Txt, paint_bg

if TYPE_CHECKING:
    from kiosk.model import KioskModel
    from kiosk.vm.flow import KioskFlow


class KioskScreen(Screen):
    """A screen draws its view-model and forwards touches to the flow; it never sees the
    app (``kiosk.vm.flow.KioskFlow`` decides what comes next)."""

    title = ""

    def __init__(self, flow: KioskFlow, **kw: Any) -> None:
        super().__init__(**kw)
        self.flow = flow
        paint_bg(self)

    @property
    def model(self) -> KioskModel:
        """Where the screen's view-models come from (read-only queries)."""
        return self.flow.model

    def refresh(self) -> None:
        """Rebuild the content from the view-model (called on enter and when data change)."""

    def on_pre_enter(self, *_: Any) -> None:
        self.refresh()


TITLE_SP = 22  # the bar's title on one line, before the patient's text scaling
SMALLEST_TITLE_SP = 15  # wrapped, it shrinks down to this, no further: readable, and not
# scaled by the patient's text size (at extra large the buttons leave the title ~200 px)
BADGE_ROOM = dp(24)  # Messages is this much wider: the unread badge sits beside its word


def step_down(size_px: float, least_px: float) -> float:
    """The next font size to try when text does not fit: ~6 % smaller, in whole pixels, not
    under ``least_px``. Whole pixels keep the sizes every fitted label tries few and shared:
    Kivy's SDL2 text provider opens one font per size and keeps 64 (each ~80 kB, and one
    closed to open another), and fractional steps from each label's own start made a
    screen's labels need more than that (+5 MB on the live screen, fonts reopened)."""
    return max(least_px, float(int(size_px * 0.94)))


def fit_text(label: Label, largest_px: float, smallest_px: float, margin: float = 0) -> None:
    """Show ``label``'s whole text in its box (the bar's title, an exercise's name and
    instructions): at ``largest_px`` if it fits, else the wrapped font steps down towards
    ``smallest_px`` until the text fits (clipped only below that). Refits when the text
    or the box changes. ``margin``: wrapped that much narrower than the box (a BigButton's
    words wrap 12 dp in)."""

    def fit(*_: Any) -> None:
        w, h = label.width - margin, label.height
        if w < 2 or h < 2:
            return
        shrink_font(label, largest_px, smallest_px, w)
        label.text_size = (w, h)

    label.bind(size=fit, text=fit)


def shrink_font(label: Label, largest_px: float, least_px: float, width: float) -> None:
    """Set ``label``'s font to the largest size, from ``largest_px`` down in whole-pixel
    steps (:func:`step_down`) to ``least_px``, at which its text wrapped at ``width`` fits
    its height and width (``least_px`` if none does). Leaves ``text_size`` at
    ``(width, None)``: the caller sets the box it shows the text in."""
    size = float(int(largest_px))  # whole pixels: see step_down
    least = min(size, least_px)
    while True:
        label.font_size = size
        label.text_size = (width, None)
        label.texture_update()
        tw, th = label.texture_size
        if (th <= label.height and tw <= width) or size <= least:
            return
        size = step_down(size, least)


def fit_width(button: Label, least: float) -> None:
    """A button as wide as its one-line words plus a margin (at least ``least``), so the
    bar's title gets what the buttons leave."""
    button.text_size = (None, None)
    button.texture_update()
    button.size_hint_x = None
    button.width = max(least, button.texture_size[0] + dp(24))


class TopBar(BoxLayout):
    """Screen title and the navigation buttons (Messages carries the unread badge). The
    buttons are as wide as their words; the title takes the rest and wraps or shrinks to show
    whole (Spanish names run long: 'Extensión de rodilla en silla' at 800x480)."""

    def __init__(self, flow: KioskFlow, **kw: Any) -> None:
        super().__init__(orientation="horizontal", size_hint_y=None, height=T.touch_h(60),
                         padding=(dp(8), dp(4)), spacing=dp(6), **kw)
        self.flow = flow
        paint_bg(self, T.PRIMARY_DARK)
        self.title = Txt("", TITLE_SP, T.WHITE, bold=True, fill=True, size_hint_x=1)
        fit_text(self.title, T.fs(TITLE_SP), sp(SMALLEST_TITLE_SP))
        self.add_widget(self.title)
        for label, name in ((_("Today"), "today"), (_("Progress"), "progress")):
            self.add_widget(self._btn(label, name))
        self.msg_btn = self._btn(_("Messages"), "messages")
        self.msg_btn.padding = [dp(2), 0, BADGE_ROOM, 0]  # the words clear of the badge
        self.msg_btn.width += BADGE_ROOM
        msg = FloatLayout(size_hint_x=None, width=self.msg_btn.width)
        self.msg_btn.pos_hint, self.msg_btn.size_hint = {"x": 0, "y": 0}, (1, 1)
        self.badge = Badge(pos_hint={"right": 1.0, "top": 1.0})
        msg.add_widget(self.msg_btn)
        msg.add_widget(self.badge)
        self.add_widget(msg)
        self.add_widget(self._btn(_("Settings"), "settings"))
        lock = BigButton(_("Lock"), flow.lock_now, T.DANGER, size=17, height=52)
        fit_width(lock, T.touch_h(64))
        self.add_widget(lock)

    def _btn(self, label: str, name: str) -> BigButton:
        btn = BigButton(label, lambda: self.flow.go(name), T.PRIMARY, size=17, height=52)
        fit_width(btn, T.touch_h(64))
        return btn

    def update(self, title: str, unread: int) -> None:
        self.title.text = title
        self.badge.count = unread


class StatusStrip(BoxLayout):
    """A thin line at the bottom: demo sensors, clinic connection, records waiting, records
    the clinic refused."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(orientation="horizontal", size_hint_y=None, height=dp(30),
                         padding=(dp(8), 0), spacing=dp(8), **kw)
        paint_bg(self, (0.88, 0.90, 0.93, 1))
        self.demo = Txt("", 15, T.TEXT, bold=True, halign="center", fill=True,
                        size_hint_x=None, width=0)
        with self.demo.canvas.before:
            self._demo_col = Color(1.0, 0.78, 0.2, 0)
            self._demo_bg = RoundedRectangle(radius=[dp(6)])
        self.demo.bind(pos=self._upd, size=self._upd)
        self.text = Txt("", 15, T.TEXT, fill=True, shorten=True, shorten_from="right")
        self.add_widget(self.demo)
        self.add_widget(self.text)

    def _upd(self, *_: Any) -> None:
        self._demo_bg.pos = (self.demo.x, self.demo.y + dp(3))
        self._demo_bg.size = (self.demo.width, self.demo.height - dp(6))

    def update(self, waiting: int, clinic: str, demo: bool, refused: str = "") -> None:
        """``refused``: the calm note on records the clinic refused (empty: none)."""
        send = (ngettext("{n} record waiting for the clinic",
                         "{n} records waiting for the clinic", waiting).format(n=waiting)
                if waiting else _("all records at the clinic"))  # confirmed by its receipt
        self.text.text = "  ·  ".join(p for p in (clinic, refused, send) if p)
        self.demo.text = _("DEMO SENSORS (simulated)") if demo else ""
        if demo:  # as wide as its words (Spanish is longer than English)
            self.demo.text_size = (None, None)  # one line: measure it
            self.demo.texture_update()
            self.demo.width = self.demo.texture_size[0] + dp(16)
        else:
            self.demo.width = 0
        self._demo_col.a = 1 if demo else 0
