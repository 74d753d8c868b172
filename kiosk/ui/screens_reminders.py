"""Settings > Reminders (the patient's own Settings): the kiosk's own reminder times with
big +/- buttons, and whether the clinic's plan sets them instead."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout

from kiosk.i18n import _
from kiosk.ui import theme as T
from kiosk.ui.base import KioskScreen
from kiosk.ui.widgets import BigButton, Card, Txt, scroller
from kiosk.vm.reminder_times import MAX_TIMES, STEP_MIN

if TYPE_CHECKING:
    from kiosk.vm.flow import KioskFlow


class RemindersScreen(KioskScreen):
    title = "Reminders"

    def __init__(self, flow: KioskFlow, **kw: Any) -> None:
        super().__init__(flow, **kw)
        self.root = BoxLayout(orientation="vertical", padding=dp(12), spacing=dp(8))
        self.add_widget(self.root)

    def refresh(self) -> None:
        self.title = _("Reminders")
        vm, r = self.flow.reminders_vm, self.root
        r.clear_widgets()
        self.box = BoxLayout(orientation="vertical", spacing=dp(8))
        if vm is None:
            return
        if vm.from_plan:
            c = Card(T.NEXT, size_hint_y=None)
            c.bind(minimum_height=c.setter("height"))
            c.add_widget(Txt(vm.note, 19, T.PRIMARY, bold=True))
            r.add_widget(c)
        else:
            r.add_widget(Txt(vm.note, 18, T.MUTED))
        flow = self.flow
        for i, hhmm in enumerate(vm.times):
            used = hhmm in vm.in_use
            row = BoxLayout(size_hint_y=None, height=T.touch_h(64), spacing=dp(6))
            for text, mins in (("-1 h", -60), (f"-{STEP_MIN}", -STEP_MIN)):
                row.add_widget(self._btn(text, lambda i=i, m=mins: flow.reminder_edit(
                    "shift", i, m)))
            row.add_widget(Txt(hhmm, 30, T.TEXT if used else T.MUTED, bold=True,
                               halign="center", fill=True))
            for text, mins in ((f"+{STEP_MIN}", STEP_MIN), ("+1 h", 60)):
                row.add_widget(self._btn(text, lambda i=i, m=mins: flow.reminder_edit(
                    "shift", i, m)))
            row.add_widget(BigButton(_("Remove"), lambda i=i: flow.reminder_edit("remove", i),
                                     T.DANGER, size=18, size_hint=(None, 1), width=dp(120)))
            self.box.add_widget(row)
        r.add_widget(scroller(self.box))
        nav = BoxLayout(size_hint_y=None, height=T.touch_h(64), spacing=dp(10))
        can_add = len(vm.times) < MAX_TIMES
        nav.add_widget(BigButton(_("Add a time"), (lambda: flow.reminder_edit("add"))
                                 if can_add else None, T.PRIMARY if can_add else T.GREY,
                                 size=20, size_hint_y=1))
        nav.add_widget(BigButton(_("Done"), flow.close_reminders, T.GOOD, size=20,
                                 size_hint_y=1))
        r.add_widget(nav)

    @staticmethod
    def _btn(text: str, act: Any) -> BigButton:
        return BigButton(text, act, T.PRIMARY, size=19, size_hint=(None, 1), width=dp(80))
