"""Today, Intake/check-in and Messages screens (thin: the view-models decide). The lock
screen is in :mod:`kiosk.ui.screens_lock`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from kiosk.i18n import N_, _
from kiosk.ui import theme as T
from kiosk.ui.base import KioskScreen
from kiosk.ui.widgets import BigButton, Card, Txt, scroller
from kiosk.vm.intake import CONDITION, GOALS, RED_FLAG_ADVICE, RED_FLAGS
from kiosk.vm.messages import QUICK_REPLIES

if TYPE_CHECKING:
    from kiosk.vm.flow import KioskFlow


class TodayScreen(KioskScreen):
    title = N_("Today")

    def __init__(self, flow: KioskFlow, **kw: Any) -> None:
        super().__init__(flow, **kw)
        self.box = BoxLayout(orientation="vertical", spacing=dp(10), padding=dp(12))
        self.add_widget(scroller(self.box))

    def refresh(self) -> None:
        vm = self.model.today()
        b = self.box
        b.clear_widgets()
        head = _grow_row(BoxLayout(size_hint_y=None, spacing=dp(8)),
                         Txt(vm.headline, 26, T.TEXT, bold=True),
                         Txt(vm.streak_text, 22, T.GOOD, bold=True, halign="right",
                             size_hint_x=0.5))
        b.add_widget(head)
        paused = self.model.red_flag_today()
        if paused:
            c = Card(T.DANGER_LIGHT, size_hint_y=None)
            c.bind(minimum_height=c.setter("height"))
            c.add_widget(Txt(_("Exercise is paused today"), 24, T.DANGER, bold=True))
            c.add_widget(Txt(_(RED_FLAG_ADVICE), 20))
            b.add_widget(c)
        if vm.note:  # an interrupted session was kept (KioskModel.interrupted_note)
            b.add_widget(Txt(vm.note, 20, T.PRIMARY))
        note = self.flow.notice_on("today")
        if note:
            b.add_widget(Txt(note, 20, T.GOOD, bold=True))
        if vm.state.state == "demo":
            b.add_widget(Txt(vm.state.text, 18, T.MUTED))
        elif not vm.state.usable:  # ended or not started: say so, offer nothing
            c = Card(T.DANGER_LIGHT, size_hint_y=None)
            c.bind(minimum_height=c.setter("height"))
            c.add_widget(Txt(vm.state.text, 24, T.DANGER, bold=True))
            b.add_widget(c)
        for line in self.model.appointments():
            b.add_widget(Txt(line.text, 20, T.GOOD if line.live_now else T.PRIMARY,
                             bold=line.live_now))
        for item in vm.items:
            # the card grows with its wrapped lines (text size 1.4 in Spanish needs 3 lines)
            c = Card(T.NEXT if item.is_next else T.CARD, orientation="horizontal",
                     size_hint_y=None, height=dp(104))
            info = BoxLayout(orientation="vertical", size_hint_y=None, spacing=dp(2),
                             pos_hint={"center_y": 0.5})
            info.bind(minimum_height=info.setter("height"))
            mark = "✓ " if item.done else (_("Next: ") if item.is_next else "")
            info.add_widget(Txt(mark + _(item.exercise.name), 24, T.TEXT, bold=True,
                                font_name="DejaVuSans" if item.done else "Roboto"))
            ex = item.exercise
            info.add_widget(Txt(_("{sets} sets × {reps} reps").format(sets=ex.sets, reps=ex.reps)
                                + f"  ·  {item.progress_text}",
                                18, T.MUTED, font_name="DejaVuSans"))
            c.add_widget(info)
            label = _("Paused") if paused else _("Do again") if item.done else _("Start")
            act = None if paused else (lambda e=ex: self.flow.start_exercise(e))
            colour = T.GREY if paused else T.GOOD if item.is_next else T.PRIMARY
            btn = BigButton(label, act, colour, size=24, size_hint=(None, None), width=dp(150),
                            height=dp(76), pos_hint={"center_y": 0.5})
            c.add_widget(btn)
            info.bind(height=lambda _w, h, c=c, btn=btn: setattr(
                c, "height", max(h, btn.height) + 2 * dp(12)))
            b.add_widget(c)


def _grow_row(row: BoxLayout, *labels: Txt) -> BoxLayout:
    """``row`` holding ``labels`` side by side, as tall as its tallest wrapped label."""
    for label in labels:
        row.add_widget(label)
        label.bind(height=lambda *_: setattr(row, "height", max(w.height for w in labels)))
    row.height = max(w.height for w in labels)
    return row


def _grow(button: BigButton) -> BigButton:
    """``button`` at least as tall as it was made, taller when its words wrap to more lines
    (the narrow reply column at extra large text: 'Tengo una pregunta, llámeme por favor')."""
    least = button.height
    button.bind(texture_size=lambda b, ts: setattr(b, "height", max(least, ts[1] + dp(14))))
    return button


class IntakeScreen(KioskScreen):
    """First-run intake (goals, condition) or the daily safety check-in; red flags stop."""

    title = N_("Check-in")

    def __init__(self, flow: KioskFlow, **kw: Any) -> None:
        super().__init__(flow, **kw)
        self.box = BoxLayout(orientation="vertical", spacing=dp(8), padding=dp(12))
        page = BoxLayout(orientation="vertical")
        page.add_widget(scroller(self.box))
        # Send answers under the questions, outside their scroll: on screen at 800x480
        # whatever the text size (the questions need a scroll there; the button did too)
        self.send = BoxLayout(size_hint_y=None, height=T.touch_h(72) + dp(16),
                              padding=(dp(12), dp(4), dp(12), dp(12)))
        page.add_widget(self.send)
        self.add_widget(page)

    def refresh(self) -> None:
        vm, b = self.flow.intake_vm, self.box
        self.title = _("Welcome") if vm.first_run else _("Daily safety check")
        b.clear_widgets()
        if vm.first_run:
            b.add_widget(Txt(_("Welcome! A few questions before you start."), 24, bold=True))
            b.add_widget(Txt(_("What do you want to achieve? (choose any)"), 20, T.MUTED))
            b.add_widget(self._choices(GOALS, lambda g: g in vm.goals, self._goal))
            b.add_widget(Txt(_("How is your condition?"), 20, T.MUTED))
            b.add_widget(self._choices(CONDITION, lambda c: c == vm.condition, self._cond))
        else:
            b.add_widget(Txt(_("A quick safety check before today's exercises."), 24,
                             bold=True))
        b.add_widget(Txt(_("Since your last exercises, have you had:"), 20, T.MUTED))
        for key, question in RED_FLAGS:
            row = BoxLayout(size_hint_y=None, height=T.touch_h(72), spacing=dp(8))
            row.add_widget(Txt(_(question), 21, fill=True))
            for yes in (True, False):
                chosen = vm.flags[key] is yes
                colour = (T.DANGER if yes else T.GOOD) if chosen else T.GREY
                row.add_widget(BigButton(_("Yes") if yes else _("No"),
                                         lambda k=key, y=yes: self._flag(k, y), colour,
                                         size=22, text_colour=T.WHITE if chosen else T.TEXT,
                                         size_hint=(None, 1), width=dp(96)))
            b.add_widget(row)
        self.send.clear_widgets()
        self.send.add_widget(BigButton(_("Send answers") if vm.complete
                                       else _("Please answer every question"),
                                       self.flow.intake_done,
                                       T.GOOD if vm.complete else T.GREY,
                                       text_colour=T.WHITE if vm.complete else T.MUTED,
                                       size_hint_y=1))

    def _choices(self, options: tuple[str, ...], on: Any, act: Any) -> GridLayout:
        g = GridLayout(cols=3, spacing=dp(8), size_hint_y=None)
        g.bind(minimum_height=g.setter("height"))
        for o in options:
            sel = on(o)
            g.add_widget(BigButton(_(o), lambda o=o: act(o), T.PRIMARY if sel else T.GREY, size=19,
                                   text_colour=T.WHITE if sel else T.TEXT, height=64))
        return g

    def _goal(self, g: str) -> None:
        self.flow.intake_vm.toggle_goal(g)
        self.refresh()

    def _cond(self, c: str) -> None:
        self.flow.intake_vm.condition = c
        self.refresh()

    def _flag(self, key: str, yes: bool) -> None:
        self.flow.intake_vm.answer(key, yes)
        self.refresh()


class MessagesScreen(KioskScreen):
    title = N_("Messages")

    def __init__(self, flow: KioskFlow, **kw: Any) -> None:
        super().__init__(flow, **kw)
        # the conversation takes the screen's whole height on the left; writing and the
        # quick replies stand in a column beside it (above it, they left the list ~150 px
        # at 800x480 and a second message was cut mid-line)
        root = BoxLayout(padding=dp(12), spacing=dp(12))
        left = BoxLayout(orientation="vertical", spacing=dp(8))
        self.box = BoxLayout(orientation="vertical", spacing=dp(8))
        left.add_widget(scroller(self.box))
        self.notice = Txt("", 19, T.GOOD, bold=True, size_hint_y=None, height=0)
        left.add_widget(self.notice)
        root.add_widget(left)
        side = BoxLayout(orientation="vertical", spacing=dp(8))
        side.add_widget(_grow(BigButton(_("Write a message"), self.flow.write_message, T.GOOD,
                                        size=19, height=60)))
        side.add_widget(Txt(_("Quick replies"), 18, T.MUTED))
        for r in QUICK_REPLIES:
            side.add_widget(_grow(BigButton(_(r), lambda r=r: self.flow.reply(_(r)),
                                            T.PRIMARY, size=18, height=56)))
        column = scroller(side)
        column.size_hint_x = 0.42
        root.add_widget(column)
        self.add_widget(root)

    def refresh(self) -> None:
        vm = self.model.messages()
        note = self.flow.notice_on("messages")
        self.notice.text, self.notice.opacity = note, 1 if note else 0
        self.box.clear_widgets()
        if not vm.lines:
            self.box.add_widget(Txt(_("No messages yet. Your therapist's messages appear "
                                      "here."),
                                    22, T.MUTED))
        for m in vm.lines:
            c = Card(T.NEXT if m.mine else (T.GOOD_LIGHT if m.unread else T.CARD),
                     size_hint_y=None)
            c.bind(minimum_height=c.setter("height"))
            who = _("You") if m.mine else _("Your therapist")
            c.add_widget(Txt(f"{who} · {m.when}" + ("  · " + _("NEW") if m.unread else ""), 16,
                             T.MUTED))
            c.add_widget(Txt(m.text, 22))
            self.box.add_widget(c)

    def on_enter(self, *_: Any) -> None:
        self.flow.messages_seen()
