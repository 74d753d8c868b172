"""The lock screen (PIN pad: unlock, installer code for Settings, choose or change the PIN)
and the closed screen (settings damaged: call the clinic). Thin: the view-models decide
(:mod:`kiosk.vm.flow`, :mod:`kiosk.vm.lock`, :mod:`kiosk.vm.pin_change`, :mod:`kiosk.access`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from kiosk.i18n import N_, _, fmt_long_day
from kiosk.ui import theme as T
from kiosk.ui.base import KioskScreen
from kiosk.ui.widgets import BigButton, Txt

if TYPE_CHECKING:
    from kiosk.vm.flow import KioskFlow

CLOSED_TEXT = N_("This kiosk cannot open: its settings file is damaged or its PIN is "
                 "missing. Your exercise records are kept. Please call your clinic.")
ACTIONS = (N_("Cancel"), N_("Back"), N_("Change PIN"))  # the flow names them in English


class LockScreen(KioskScreen):
    """PIN pad. Shows the time and, at most, that exercises are due: no health data."""

    title = N_("Locked")

    def __init__(self, flow: KioskFlow, **kw: Any) -> None:
        super().__init__(flow, **kw)
        row = BoxLayout(orientation="horizontal", padding=dp(16), spacing=dp(16))
        left = BoxLayout(orientation="vertical", spacing=dp(6))
        self.clock = Txt("", 56, T.TEXT, bold=True, halign="center", fixed_h=dp(76))
        self.date = Txt("", 22, T.MUTED, halign="center", fixed_h=dp(34))
        self.notice = Txt("", 22, T.PRIMARY, bold=True, halign="center", fixed_h=dp(34))
        self.msg = Txt("", 21, T.TEXT, halign="center", fill=True)
        self.dots = Txt(" ", 40, T.TEXT, halign="center", fixed_h=dp(52),
                        font_name="DejaVuSans")
        self.actions = BoxLayout(size_hint_y=None, height=T.touch_h(64), spacing=dp(8))
        for w in (self.clock, self.date, self.notice, self.msg, self.dots, self.actions):
            left.add_widget(w)
        row.add_widget(left)
        pad = GridLayout(cols=3, spacing=dp(8), size_hint_x=0.9)
        for key in "123456789":
            pad.add_widget(BigButton(key, lambda k=key: self.act(flow.key, k), T.PRIMARY,
                                     size=30, size_hint_y=1))
        pad.add_widget(BigButton("⌫", lambda: self.act(flow.erase), T.GREY, size=30,
                                 text_colour=T.TEXT, size_hint_y=1, font_name="DejaVuSans"))
        pad.add_widget(BigButton("0", lambda: self.act(flow.key, "0"), T.PRIMARY, size=30,
                                 size_hint_y=1))
        pad.add_widget(BigButton(_("OK"), lambda: self.act(flow.submit_entry), T.GOOD, size=30,
                                 size_hint_y=1))
        row.add_widget(pad)
        self.add_widget(row)
        self._shown_actions: tuple[str, ...] = ()

    # --- what is shown (kiosk.vm.flow.KioskFlow.lock_view decides) -----------------------
    def refresh(self) -> None:
        view = self.flow.lock_view()
        wall = datetime.now().astimezone()
        self.clock.text = wall.strftime("%H:%M")
        self.date.text = fmt_long_day(wall)
        self.notice.text = view.notice
        self.msg.text, self.dots.text = view.message, view.dots
        self._set_actions(view.actions)

    def _set_actions(self, wanted: tuple[str, ...]) -> None:
        """The small buttons under the PIN: change PIN, cancel, back (redrawn on change)."""
        if wanted == self._shown_actions:
            return
        self._shown_actions = wanted
        self.actions.clear_widgets()
        acts = {"Cancel": self.flow.cancel_pin_flow, "Back": self.flow.leave_settings_prompt,
                "Change PIN": lambda: self.act(self.flow.start_pin_change)}
        for label in wanted:
            self.actions.add_widget(BigButton(_(label), acts[label], T.GREY, size=19,
                                              text_colour=T.TEXT, size_hint_y=1))

    def act(self, action: Callable[..., None], *args: str) -> None:
        """A key of the pad or a small button: the flow acts, then the pad shows it."""
        action(*args)
        self.refresh()


class ClosedScreen(KioskScreen):
    """Settings damaged or PIN missing: no keypad, no health data, what to do."""

    title = N_("Closed")

    def __init__(self, flow: KioskFlow, **kw: Any) -> None:
        super().__init__(flow, **kw)
        box = BoxLayout(orientation="vertical", padding=dp(24), spacing=dp(12))
        box.add_widget(Txt(_("Please call your clinic"), 32, T.DANGER, bold=True,
                           halign="center", fixed_h=dp(56)))
        box.add_widget(Txt(_(CLOSED_TEXT), 22, halign="center", fill=True))
        self.detail = Txt("", 16, T.MUTED, halign="center", fill=True)
        box.add_widget(self.detail)
        box.add_widget(BigButton(_("Try again"), self.flow.retry_access, T.PRIMARY,
                                 size=22))
        self.add_widget(box)

    def refresh(self) -> None:
        # the problem itself (a path, a parser's words) stays as written: the installer's
        self.detail.text = _("For the installer: {problem}").format(
            problem=self.model.access.problem)
