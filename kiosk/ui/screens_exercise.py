"""Pain before/after, instruction, live set and summary screens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.stencilview import StencilView

from kiosk.i18n import N_, _, fmt_number
from kiosk.ui import theme as T
from kiosk.ui.base import KioskScreen, fit_text, shrink_font
from kiosk.ui.demo_figure import DemoFigure
from kiosk.ui.widgets import NBSP, BigButton, Card, Gauge, Txt
from kiosk.vm.live import GOOD_REP
from kiosk.vm.pain import QUICK_NOTES, PainStage

SIDES = {"right": N_("right"), "left": N_("left"), "both": N_("both"), "none": N_("none")}
SMALLEST_NAME_SP = 20  # the instruction screen's exercise name, before text scaling
SMALLEST_HOW_SP = 16  # the instructions' font never shrinks below this (before text scaling)
SMALLEST_ADVICE_SP = 14  # the pain advice shrinks to show whole, no further (not scaled)
SMALLEST_WATCH_SP = 12  # 'Watch the figure...' under the figure likewise
COUNT_FLOOR_SP = 40  # the rep count is never drawn smaller (before text scaling)
COUNT_BOX_PER_FONT = 1.2  # the count's digits are ~1.17 x its font size tall (Roboto bold)
# The live screen's column right of the gauge: (font sp, box dp) of the hold line above, the
# reps line, the cue, the timer and the last rep's ROM, and the column's spacing (dp). Where
# the mid row is short (800x480: ~200 px, of which the lines took 188 and left the count
# 10 px, its digit running into the reps line) and beside a camera picture (a narrow column:
# the reps line takes two lines) the column is compact, so the count keeps a box of at
# least its floor. The boxes are these at normal text; a larger text size grows them (by at
# most the text scale) as far as the row leaves the count its floor, and a line whose text
# still needs more shrinks to fit (not below its floor in ``LINE_FLOOR_SP``).
Lines = dict[str, tuple[float, float]]
LIVE_LINES: Lines = {"hold": (34, 52), "of": (26, 56), "cue": (30, 56), "timer": (22, 34),
                     "last_rom": (18, 26), "spacing": (0, 4)}
COMPACT_LINES: Lines = {"hold": (30, 44), "of": (19, 48), "cue": (24, 40), "timer": (20, 28),
                        "last_rom": (16, 22), "spacing": (0, 2)}
COLUMN = ("of", "cue", "timer", "last_rom")  # the lines under the count
SQUEEZE = 0.8  # where even the normal boxes leave the count short: the least of them kept
SMALLEST_CUE_SP = 16  # a long cue ('Sensor signal was lost for a moment') shrinks to fit
# Each line's smallest font, in sp NOT scaled by the text size (as the title's floor): at
# the largest text on 800x480 beside a camera picture, 'de 20 repeticiones · Serie 1 de 1'
# in two lines and a two-line cue fit their boxes only below their scaled sizes.
LINE_FLOOR_SP = {"hold": 20, "of": 14, "cue": SMALLEST_CUE_SP, "timer": 14, "last_rom": 12}
SENSORS_SP, SMALLEST_SENSORS_SP = 15, 11  # two wearables' line shrinks before it is cut
LIVE_BUTTONS_DP, SHORT_BUTTONS_DP = 72, 64  # Pause / Stop; a short screen's (>= 48 dp)


def _live_need_px() -> float:
    """The mid row's height the full-size column needs at the text size: its lines, gaps
    and the count."""
    lines = sum(dp(LIVE_LINES[name][1]) for name in COLUMN) * T.text_scale()
    return (lines + 4 * dp(LIVE_LINES["spacing"][1])
            + T.fs(COUNT_FLOOR_SP) * COUNT_BOX_PER_FONT)


def _fit_line(label: Label, largest_sp: float, least_sp: float) -> None:
    """``label``'s text whole in its box: at ``largest_sp`` (scaled by the text size) if it
    fits, else smaller, down to ``least_sp`` (not scaled; below that a label with
    ``shorten`` is cut with '...')."""
    cut = label.shorten
    label.shorten = False
    shrink_font(label, T.fs(largest_sp), float(sp(least_sp)), label.width)
    label.shorten = cut
    label.text_size = (label.width, label.height)

if TYPE_CHECKING:
    from kiosk.vm.flow import KioskFlow


class PainScreen(KioskScreen):
    title = N_("Pain")

    def __init__(self, flow: KioskFlow, **kw: Any) -> None:
        super().__init__(flow, **kw)
        self.box = BoxLayout(orientation="vertical", padding=dp(12), spacing=dp(6))
        self.add_widget(self.box)

    def refresh(self) -> None:
        """Fits 800x480 with the advice card (the flagged "Pain after" headline was
        clipped there): 48 + 30 + 72 + 104 + 64 dp and the gaps."""
        vm, b = self.flow.pain_vm, self.box
        self.title = _("Pain before") if vm.stage == PainStage.BEFORE else _("Pain after")
        b.clear_widgets()
        question = Txt(vm.question, 28, bold=True, fixed_h=dp(48))
        fit_text(question, question.font_size, T.fs(SMALLEST_NAME_SP))
        b.add_widget(question)
        b.add_widget(Txt(_("0 = no pain      10 = worst pain imaginable"), 19, T.MUTED,
                         fixed_h=dp(30)))
        row = GridLayout(cols=11, spacing=dp(5), size_hint_y=None, height=T.touch_h(72))
        for r in range(11):
            sel = vm.rating == r
            row.add_widget(BigButton(str(r), lambda r=r: self.choose(r),
                                     T.pain_colour(r) if sel or vm.rating is None else T.GREY,
                                     size=30 if sel else 26, size_hint_y=1,
                                     text_colour=T.WHITE if sel or vm.rating is None
                                     else T.TEXT))
        b.add_widget(row)
        if vm.flagged:
            # as tall as the screen leaves it, up to 104 dp times the text size (the spacer
            # under it takes the rest); the advice shrinks to show whole (at the largest
            # text in Spanish it was cut to one line, mid-sentence, at 800x480)
            c = Card(T.DANGER_LIGHT, size_hint_y=1, size_hint_max_y=dp(104) * T.text_scale(),
                     padding=dp(10), spacing=dp(2))
            c.add_widget(Txt(_("Please stop"), 24, T.DANGER, bold=True,
                             fixed_h=T.fs(24) * 1.3))
            advice = Txt(vm.advice, 19, fill=True)
            fit_text(advice, advice.font_size, sp(SMALLEST_ADVICE_SP))
            c.add_widget(advice)
            b.add_widget(c)
        else:
            b.add_widget(Txt(_("Add a note if you like (optional):"), 18, T.MUTED,
                             fixed_h=dp(28)))
            notes = GridLayout(cols=len(QUICK_NOTES), spacing=dp(6), size_hint_y=None,
                               height=T.touch_h(60))
            for n in QUICK_NOTES:
                on = n in vm.notes
                notes.add_widget(BigButton(_(n), lambda n=n: self.note(n),
                                           T.PRIMARY if on else T.GREY, size=18, size_hint_y=1,
                                           text_colour=T.WHITE if on else T.TEXT))
            b.add_widget(notes)
        b.add_widget(BoxLayout(size_hint_y=0.001 if vm.flagged else 1))  # spacer
        nav = BoxLayout(size_hint_y=None, height=T.touch_h(64), spacing=dp(10))
        if vm.flagged and vm.stage == PainStage.BEFORE:
            nav.add_widget(BigButton(_("Back to Today"), self.flow.pain_stop, T.DANGER))
        else:
            ok = vm.rating is not None
            nav.add_widget(BigButton(_("Continue") if ok else _("Choose a number"),
                                     self.flow.pain_done if ok else None,
                                     T.GOOD if ok else T.GREY,
                                     text_colour=T.WHITE if ok else T.MUTED))
        b.add_widget(nav)

    def choose(self, r: int) -> None:
        self.flow.pain_vm.choose(r)
        self.refresh()

    def note(self, n: str) -> None:
        self.flow.pain_vm.toggle_note(n)
        self.refresh()


class _Clip(BoxLayout, StencilView):
    """A layout that draws nothing of its children outside itself."""


class InstructionScreen(KioskScreen):
    title = N_("How to do it")

    def __init__(self, flow: KioskFlow, **kw: Any) -> None:
        super().__init__(flow, **kw)
        self.anim: DemoFigure | None = None

    def refresh(self) -> None:
        run = self.model.run
        self.clear_widgets()
        if run is None:
            return
        ex = run.ex
        self.title = _(ex.name)  # a catalogue name translated; a plan's own stays as sent
        row = BoxLayout(padding=dp(12), spacing=dp(12))
        left = BoxLayout(orientation="vertical", spacing=dp(8))
        name = Txt(_(ex.name), 28, bold=True, fixed_h=dp(44))
        fit_text(name, name.font_size, T.fs(SMALLEST_NAME_SP))
        left.add_widget(name)
        how = Txt(_(ex.instructions), 22, fill=True)
        how.valign = "top"  # read from the top, under the name
        fit_text(how, how.font_size, T.fs(SMALLEST_HOW_SP))  # Spanish runs up to 50 % longer
        left.add_widget(how)
        how_many = _("{sets} sets of {reps}").format(sets=ex.sets, reps=ex.reps)
        if ex.hold_s:
            how_many += _(", hold {s} s at the top").format(s=fmt_number(ex.hold_s, 0))
        side = _(SIDES.get(str(ex.side), str(ex.side)))
        plan_line = Txt(_(run.error) or _("{how}. Side: {side}.").format(
            how=how_many, side=side), 20, T.DANGER if run.error else T.MUTED, fixed_h=dp(56))
        fit_text(plan_line, plan_line.font_size, T.fs(SMALLEST_HOW_SP))  # 2 lines, larger text
        left.add_widget(plan_line)
        left.add_widget(BigButton(_("Start set {n}").format(n=run.ctl.set_no + 1),
                                  self.flow.begin_set,
                                  T.GOOD, size=28, height=84))
        row.add_widget(left)
        card = Card(size_hint_x=0.8)
        # the body figure at the plan's ROM and tempo (it plays while on screen)
        self.anim = DemoFigure.for_plan_item(ex)
        clip = _Clip()  # the figure's floor line is drawn wider than the card
        clip.add_widget(self.anim)
        card.add_widget(clip)
        watch = Txt(_("Watch the figure and move the same way."), 17, T.MUTED,
                    halign="center", fixed_h=dp(30) * T.text_scale())
        fit_text(watch, watch.font_size, sp(SMALLEST_WATCH_SP))  # two lines at large text
        card.add_widget(watch)
        card.add_widget(BigButton(_("Read aloud"), self.flow.read_aloud, T.PRIMARY, size=22,
                                  height=56))
        row.add_widget(card)
        self.add_widget(row)

    def on_leave(self, *_: Any) -> None:
        self.flow.stop_reading()
        if self.anim is not None:
            self.anim.stop()


class LiveScreen(KioskScreen):
    """The live set: hold countdown on top, gauge, big rep counter, cue, timers, sensors."""

    title = N_("Exercise")

    def __init__(self, flow: KioskFlow, **kw: Any) -> None:
        super().__init__(flow, **kw)
        root = self.root_box = BoxLayout(orientation="vertical", padding=dp(10), spacing=dp(6))
        self.hold = Txt("", 34, T.PRIMARY, bold=True, halign="center", fixed_h=dp(52))
        root.add_widget(self.hold)
        mid = BoxLayout(spacing=dp(10))
        self.mid = mid
        self.camera: Any = None  # a CameraView while the set runs on a camera
        gbox = self.gbox = FloatLayout()
        self.gauge = Gauge(pos_hint={"x": 0, "y": 0}, size_hint=(1, 1))
        # plain Labels (texture as small as the text): they change many times a second
        self.angle = Label(text="", font_size=T.fs(30), color=T.TEXT, bold=True,
                           size_hint=(1, 0.2), pos_hint={"x": 0, "y": 0.02})
        gbox.add_widget(self.gauge)
        gbox.add_widget(self.angle)
        mid.add_widget(gbox)
        right = self.column = BoxLayout(orientation="vertical", spacing=dp(4))
        self.reps = Label(text="0", font_size=T.fs(120), color=T.TEXT, bold=True)
        self.of = Txt("", 26, T.MUTED, halign="center", fixed_h=dp(56))  # 2 lines if narrow
        self.cue = Txt("", 30, T.GOOD, bold=True, halign="center", fixed_h=dp(56))
        self.timer = Txt("", 22, T.TEXT, halign="center", fixed_h=dp(34))
        # the last rep's ROM, quiet under the timer (a fused set's arrives a moment later)
        self.last_rom = Txt("", 18, T.MUTED, halign="center", fixed_h=dp(26))
        for w in (self.reps, self.of, self.cue, self.timer, self.last_rom):
            right.add_widget(w)
        mid.add_widget(right)
        root.add_widget(mid)
        self.watch = Txt("", 18, T.GOOD, bold=True, halign="center", fixed_h=dp(26))
        root.add_widget(self.watch)
        # room for a line's descenders at the text size (at x1.4 'pierna' ran under Pause)
        self.sensors = Txt("", 15, T.MUTED, halign="center", shorten=True,
                           fixed_h=max(dp(24), T.fs(SENSORS_SP) * 1.4))
        root.add_widget(self.sensors)
        self.buttons = BoxLayout(size_hint_y=None, height=T.touch_h(LIVE_BUTTONS_DP),
                                 spacing=dp(10))
        root.add_widget(self.buttons)
        self.add_widget(root)
        self._mode = ""
        self._angle_at = 0.0
        self._sizes = LIVE_LINES
        self._fitted: dict[int, tuple[Any, ...]] = {}  # label -> (text, box, size) fitted

    def _fit(self, label: Label, largest_sp: float, least_sp: float) -> None:
        """:func:`_fit_line`, again only when the text, the box or the size changed."""
        key = (label.text, tuple(label.size), largest_sp)
        if self._fitted.get(id(label)) == key or label.width < 2:
            return
        self._fitted[id(label)] = key
        _fit_line(label, largest_sp, least_sp)

    def _set_buttons(self, mode: str) -> None:
        if mode == self._mode:
            return
        self._mode = mode
        b = self.buttons
        b.clear_widgets()  # each as tall as the row (64 dp on a compact screen, not 72)
        if mode == "rest":
            b.add_widget(BigButton(_("Start next set"), self.flow.begin_set, T.GOOD,
                                   size_hint_y=1))
            b.add_widget(BigButton(_("Finish now"), self.flow.stop_set, T.DANGER,
                                   size_hint=(0.6, 1)))
        elif mode in ("run", "paused"):
            b.add_widget(BigButton(_("Resume") if mode == "paused" else _("Pause"),
                                   self.flow.pause_set, T.PRIMARY, size_hint_y=1))
            b.add_widget(BigButton(_("Stop"), self.flow.stop_set, T.DANGER, size_hint_y=1))

    def _camera(self, latest: Any, joint: Any) -> None:
        """A camera exercise: its picture and skeleton left of the gauge (stand-in frames
        in the screenshots), the set's joint highlighted (``joint``: the plan's joint and
        side); none: the gauge and counter as before."""
        if latest is None:
            if self.camera is not None:
                self.mid.remove_widget(self.camera)
                self.camera = None
                self.gbox.size_hint_x = 1
            return
        if self.camera is None:
            from kiosk.ui.camera_view import CameraView

            self.camera = CameraView(size_hint_x=1.2)
            self.mid.add_widget(self.camera, index=len(self.mid.children))
            self.gbox.size_hint_x = 0.7  # room for "of 10 reps · Set 1 of 2"
        self.camera.show(latest(), joint)

    def _lines(self, sizes: Lines) -> None:
        """The hold line's and the right column's fonts and boxes (``LIVE_LINES`` or
        ``COMPACT_LINES``): what they leave is the count's box. Compact, the screen's
        gaps and its buttons are smaller too (64 dp, above the 48 dp touch floor)."""
        if sizes is self._sizes:
            return
        self._sizes = sizes
        for name, (font_sp, box_dp) in sizes.items():
            if name == "spacing":
                self.column.spacing = dp(box_dp)
                continue
            w = getattr(self, name)
            w.font_size, w.height = T.fs(font_sp), dp(box_dp)
        compact = sizes is COMPACT_LINES
        self.root_box.padding = dp(6) if compact else dp(10)
        self.root_box.spacing = dp(4) if compact else dp(6)
        self.buttons.height = T.touch_h(SHORT_BUTTONS_DP if compact else LIVE_BUTTONS_DP)
        self._fitted.clear()

    def _grow_column(self) -> None:
        """The column's line boxes at the patient's text size: grown by up to the text
        scale, as far as the column leaves the count a box for its digits at their floor
        (never smaller than at normal text)."""
        sizes = self._sizes
        base = sum(dp(sizes[name][1]) for name in COLUMN)
        room = (self.column.height - 4 * self.column.spacing
                - T.fs(COUNT_FLOOR_SP) * COUNT_BOX_PER_FONT)
        grow = {name: max(1.0, min(T.text_scale(), room / base)) for name in COLUMN}
        if room < base:  # shorter still (the therapist's 'watching' line at 800x480, x1.4):
            cue = dp(sizes["cue"][1])  # all but the cue give up to SQUEEZE of their boxes
            squeeze = max(SQUEEZE, (room - cue) / (base - cue))
            grow = {name: 1.0 if name == "cue" else squeeze for name in COLUMN}
        for name in COLUMN:
            getattr(self, name).height = dp(sizes[name][1]) * grow[name]

    def refresh(self) -> None:
        run = self.model.run
        if run is None:
            return
        live = run.live  # the flow's frame tick polled the run
        self._camera(run.camera_latest, run.camera_joint)
        short = self.mid.height < _live_need_px()
        self._lines(COMPACT_LINES if short or self.camera is not None else LIVE_LINES)
        self._grow_column()
        # the name only: the set is on the reps line, and "name · Set 1 of 2" was cut short
        # in the title bar even at 1280x800 ("Seated knee extension · ...")
        self.title = _(run.ex.name)  # name from the plan
        self.gauge.max_deg = live.gauge_max_deg
        self.gauge.band = list(live.band_deg)
        # the needle eases toward the measured angle: smooth between sensor updates
        shown = self.gauge.value + (live.angle_deg - self.gauge.value) * 0.5
        self.gauge.value = live.angle_deg if abs(live.angle_deg - shown) < 0.3 else shown
        now = self.flow.now()
        if now - self._angle_at >= 0.2:  # a new text is a new texture: 5 a second is plenty
            self._angle_at = now
            self.angle.text = f"{live.angle_deg:.0f}°"
        self.reps.text = live.rep_text
        self.reps.font_size = float(int(max(T.fs(COUNT_FLOOR_SP),
                                            min(T.fs(130), self.reps.height * 0.85))))
        # "Set 1 of 2" kept whole when the line wraps (beside a camera picture, in Spanish:
        # "Serie 1" ended one line and "de 2" began the next)
        self.of.text = _("{of} reps  ·  {set}").format(of=live.rep_target_text,
                                                       set=live.set_text.replace(" ", NBSP))
        self.hold.color = T.PRIMARY
        if live.lost_banner:  # a wearable dropped out (the set waits) or out of the camera
            self.hold.text, self.hold.color = live.lost_banner, T.DANGER
        elif live.resting:
            self.hold.text = _("Rest. Start the next set when ready.")
        elif live.paused:
            self.hold.text = _("Paused")
        else:
            self.hold.text = live.hold_text
        self.cue.text = _(run.error) or live.cue
        self.cue.color = T.GOOD if live.cue == _(GOOD_REP) else T.WARN
        self.timer.text = live.timer_text
        self.last_rom.text = live.last_rom_text
        self.watch.text = (_("Your therapist is watching the live feed") if live.watched
                           else "")
        # no empty line while nobody watches: its room goes to the rep counter, which the
        # last rep's ROM line would otherwise squeeze (at 800x480 beside the camera picture)
        self.watch.height = dp(26) if live.watched else 0
        for name in ("hold", *COLUMN):  # each line whole in its box
            self._fit(getattr(self, name), self._sizes[name][0], LINE_FLOOR_SP[name])
        self.sensors.text = live.link_note or live.status_text
        # its floor scaled: at a larger text size cut with '...' rather than drawn smaller
        # than at normal text (the wearables' names and states, not the set's progress)
        self._fit(self.sensors, SENSORS_SP, SMALLEST_SENSORS_SP * T.text_scale())
        self.sensors.color = T.WARN if live.link_note else T.MUTED
        self._set_buttons("rest" if live.resting else "paused" if live.paused else
                          "run" if live.running else "")
