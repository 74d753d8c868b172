"""What the patient tells the therapist: feedback after a session (how hard, canned notes,
own words) and a message typed on the on-screen keyboard. Thin: the flow's view-models
(:mod:`kiosk.vm.feedback`, :mod:`kiosk.vm.compose`) decide."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from kiosk.i18n import _
from kiosk.ui import theme as T
from kiosk.ui.base import KioskScreen, fit_text, fit_width
from kiosk.ui.keyboard import KeyGrid
from kiosk.ui.widgets import BigButton, Card, Txt
from kiosk.vm.compose import PURPOSES
from kiosk.vm.feedback import EFFORT, NOTES

if TYPE_CHECKING:
    from kiosk.vm.flow import KioskFlow

# too easy (green) .. too hard (red), as the pain scale's colours
EFFORT_COLOURS = tuple(T.pain_colour(r) for r in (0, 3, 5, 7, 10))
SMALLEST_NOTE_SP = 13  # a feedback note's words shrink to fit their button (not scaled)


class FeedbackScreen(KioskScreen):
    title = "How did it go?"

    def __init__(self, flow: KioskFlow, **kw: Any) -> None:
        super().__init__(flow, **kw)
        self.box = BoxLayout(orientation="vertical", padding=dp(10), spacing=dp(6))
        self.add_widget(self.box)

    def refresh(self) -> None:
        """Fits 800x480 without scrolling: 36 + 60 + 104 + 52 + 60 dp and the gaps."""
        self.title = _("How did it go?")
        vm, b = self.flow.feedback_vm, self.box
        b.clear_widgets()
        if vm is None:
            return
        b.add_widget(Txt(vm.question, 24, bold=True, fixed_h=dp(36), shorten=True,
                         shorten_from="right"))
        row = GridLayout(cols=len(EFFORT), spacing=dp(6), size_hint_y=None,
                         height=T.touch_h(60))
        for i, label in enumerate(EFFORT, start=1):
            on = vm.rating == i
            row.add_widget(BigButton(_(label), lambda i=i: self.flow.feedback_rate(i),
                                     EFFORT_COLOURS[i - 1] if on or vm.rating is None
                                     else T.GREY, size=20, size_hint_y=1,
                                     text_colour=T.WHITE if on or vm.rating is None
                                     else T.TEXT))
        b.add_widget(row)
        notes = GridLayout(cols=3, spacing=dp(6), size_hint_y=None, height=T.touch_h(104))
        for n in NOTES:
            on = n in vm.notes
            note = BigButton(_(n), lambda n=n: self.flow.feedback_note(n),
                             T.PRIMARY if on else T.GREY, size=17, size_hint_y=1,
                             text_colour=T.WHITE if on else T.TEXT)
            # two lines of words shrink to fit (at the largest text at 800x480 'The
            # instructions were unclear' was 54 px in a 49 px button)
            fit_text(note, note.font_size, sp(SMALLEST_NOTE_SP), margin=dp(12))
            notes.add_widget(note)
        b.add_widget(notes)
        words = BoxLayout(size_hint_y=None, height=T.touch_h(52), spacing=dp(8))
        words.add_widget(Txt(f"“{vm.text}”" if vm.text else _("Nothing written yet."), 19,
                             T.TEXT if vm.text else T.MUTED, fill=True, shorten=True,
                             shorten_from="right", font_name="DejaVuSans"))
        write = BigButton(_("Write in my own words"), self.flow.feedback_type, T.PRIMARY,
                          size=18, height=52)
        write.size_hint_y = 1
        fit_width(write, dp(230))  # as wide as its words ('Escribir con mis palabras' at
        words.add_widget(write)  # the largest text spilled its 230 dp on both sides)
        b.add_widget(words)
        problem = self.flow.notice_on("feedback")
        if problem:
            b.add_widget(Txt(problem, 19, T.DANGER, bold=True))
        b.add_widget(BoxLayout())  # spacer
        nav = BoxLayout(size_hint_y=None, height=T.touch_h(60), spacing=dp(10))
        nav.add_widget(BigButton(_("Skip"), self.flow.skip_feedback, T.GREY, text_colour=T.TEXT,
                                 size_hint_x=0.5, size_hint_y=1))
        ok = vm.can_send
        nav.add_widget(BigButton(_("Send to my therapist"), self.flow.send_feedback if ok
                                 else None, T.GOOD if ok else T.GREY, size_hint_y=1,
                                 text_colour=T.WHITE if ok else T.MUTED))
        b.add_widget(nav)


class ComposeScreen(KioskScreen):
    """The text so far, the keyboard, Back and Send (or Use, for feedback)."""

    title = "Write"

    def __init__(self, flow: KioskFlow, **kw: Any) -> None:
        super().__init__(flow, **kw)
        self.box = BoxLayout(orientation="vertical", padding=dp(8), spacing=dp(6))
        self.add_widget(self.box)

    def refresh(self) -> None:
        """A key press redraws the text and Send only; the keys are built again when
        the shift changes (capital letters) or a new text starts."""
        vm = self.flow.compose_vm
        problem = self.flow.notice_on("compose")
        key = (id(vm), vm.shift if vm else None, problem)
        if key != getattr(self, "_built", None):
            self._build()
            self._built = key
        if vm is not None:
            self.text.text = vm.text + "|"
            self.send.disabled = not vm.ready
            self.send.set_colour(T.GOOD if vm.ready else T.GREY)
            self.send.color = T.WHITE if vm.ready else T.MUTED

    def _build(self) -> None:
        vm, b = self.flow.compose_vm, self.box
        b.clear_widgets()
        if vm is None:
            return
        self.title = _(PURPOSES[vm.purpose])
        top = BoxLayout(size_hint_y=None, height=T.touch_h(60), spacing=dp(8))
        card = Card(T.CARD, padding=(dp(10), dp(2)))
        self.text = Txt("", 22, fill=True, shorten=True, shorten_from="left",
                        font_name="DejaVuSans")
        card.add_widget(self.text)
        top.add_widget(card)
        top.add_widget(BigButton(_("Back"), self.flow.compose_cancel, T.GREY, size=19,
                                 text_colour=T.TEXT, size_hint=(None, 1), width=dp(100)))
        label = _("Send") if vm.purpose == "message" else _("Use")
        self.send = BigButton(label, self.flow.compose_done, T.GOOD, size=20,
                              size_hint=(None, 1), width=dp(120))
        top.add_widget(self.send)
        b.add_widget(top)
        problem = self.flow.notice_on("compose")
        if problem:
            b.add_widget(Txt(problem, 17, T.DANGER, bold=True, fixed_h=dp(24)))
        self.keys = KeyGrid(self.flow.compose_key, vm.shift)
        b.add_widget(self.keys)
