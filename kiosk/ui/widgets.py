"""Reusable widgets: big buttons, text cards, a vertical scroller, the angle gauge, plots,
calendar, badge, and the movement animation on the instruction screen. Canvas drawing
only. What several screens use lives here, so screens never import each other."""

from __future__ import annotations

import math
from typing import Any, Sequence

from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.graphics import Color, Ellipse, Line, Rectangle, RoundedRectangle
from kivy.metrics import dp
from kivy.properties import ListProperty, NumericProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.stacklayout import StackLayout
from kivy.uix.widget import Widget

from kiosk.ui import theme as T

NBSP = "\u00a0"  # a space Kivy does not wrap at (it breaks lines at " " only)


class Txt(Label):
    """Wrapped text. Default: its height follows the text; ``fixed_h``: that height;
    ``fill=True``: takes the space its layout gives it (text centred vertically)."""

    def __init__(self, text: str = "", size: float = 20, color: Any = T.TEXT,
                 bold: bool = False, halign: str = "left", fixed_h: float | None = None,
                 fill: bool = False, **kw: Any) -> None:
        super().__init__(text=text, font_size=T.fs(size), color=color, bold=bold,
                         halign=halign, valign="middle", **kw)
        if fill or fixed_h is not None:
            if fixed_h is not None:
                self.size_hint_y, self.height = None, fixed_h
            self.bind(size=lambda *_: setattr(self, "text_size", self.size))
        else:
            self.size_hint_y = None
            self.bind(width=lambda *_: setattr(self, "text_size", (self.width, None)),
                      texture_size=lambda *_: setattr(
                          self, "height", max(self.texture_size[1] + dp(6), dp(24))))


class BigButton(Button):
    def __init__(self, text: str, on_press: Any = None, colour: Any = T.PRIMARY,
                 size: float = 24, height: float = 72, text_colour: Any = T.WHITE,
                 **kw: Any) -> None:
        if "size_hint" not in kw:  # size_hint=(None, 1): as tall as its row, not 72 dp
            kw.setdefault("size_hint_y", None)
        super().__init__(text=text, font_size=T.fs(size), bold=True, color=text_colour,
                         background_normal="", background_down="",
                         background_color=colour, height=T.touch_h(height),
                         halign="center", valign="middle", **kw)
        self._colour = colour
        self.bind(size=lambda *_: setattr(self, "text_size", (self.width - dp(12), None)))
        self.bind(state=self._pressed)
        if on_press is not None:
            self.bind(on_release=lambda *_: on_press())

    def _pressed(self, *_: Any) -> None:
        c = self._colour
        self.background_color = (c[0] * 0.7, c[1] * 0.7, c[2] * 0.7, 1) \
            if self.state == "down" else c

    def set_colour(self, colour: Any) -> None:
        self._colour = colour
        self.background_color = colour


class Card(BoxLayout):
    """A white rounded panel (optionally tinted) holding a vertical stack."""

    def __init__(self, tint: Any = T.CARD, **kw: Any) -> None:
        kw.setdefault("orientation", "vertical")
        kw.setdefault("padding", dp(12))
        kw.setdefault("spacing", dp(6))
        super().__init__(**kw)
        with self.canvas.before:
            self._c = Color(*tint)
            self._r = RoundedRectangle(radius=[dp(12)])
        self.bind(pos=self._upd, size=self._upd)

    def set_tint(self, tint: Any) -> None:
        self._c.rgba = tint

    def _upd(self, *_: Any) -> None:
        self._r.pos, self._r.size = self.pos, self.size


class Background(Widget):
    pass


def paint_bg(widget: Widget, colour: Any = T.BG) -> None:
    with widget.canvas.before:
        Color(*colour)
        rect = Rectangle(pos=widget.pos, size=widget.size)
    widget.bind(pos=lambda *_: setattr(rect, "pos", widget.pos),
                size=lambda *_: setattr(rect, "size", widget.size))


SCROLL_BAR_DP = 6  # wide enough to see and to drag, beside the content, never over it


def scroller(content: Any) -> ScrollView:
    """``content`` (a vertical layout) in a ScrollView, as tall as what it holds. The
    content keeps a strip on its right for the scroll bar: drawn over it, the bar covered
    the buttons' right edge and the end of their words (Messages' quick replies at the
    largest text, 800x480)."""
    content.size_hint_y = None
    content.bind(minimum_height=content.setter("height"))
    left, top, right, bottom = _padding4(content.padding)
    content.padding = [left, top, right + dp(SCROLL_BAR_DP + 4), bottom]
    sv = ScrollView(do_scroll_x=False, scroll_type=["bars", "content"],
                    bar_width=dp(SCROLL_BAR_DP))
    sv.add_widget(content)
    return sv


def _padding4(padding: Any) -> tuple[float, float, float, float]:
    """Kivy's padding forms ([all], [horizontal, vertical], [l, t, r, b]) as l, t, r, b."""
    p = list(padding) if isinstance(padding, (list, tuple)) else [padding]
    if len(p) == 1:
        return p[0], p[0], p[0], p[0]
    if len(p) == 2:
        return p[0], p[1], p[0], p[1]
    return p[0], p[1], p[2], p[3]


class Gauge(Widget):
    """A 240-degree arc from 0 to ``max_deg`` with the target band in green and a needle."""

    value = NumericProperty(0.0)
    max_deg = NumericProperty(120.0)
    band = ListProperty([60.0, 80.0])

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.bind(pos=self.redraw, size=self.redraw, value=self.redraw, band=self.redraw,
                  max_deg=self.redraw)

    def _a(self, deg: float) -> float:  # kivy Line circle angles: 0 = up, clockwise
        return -120.0 + 240.0 * min(max(deg / self.max_deg, 0.0), 1.0)

    def redraw(self, *_: Any) -> None:
        # x + width / 2, not center_x: a layout moving the gauge dispatches pos before the
        # cached center_x follows, so the first frame's arc sat where the gauge had been
        cx, cy = self.x + self.width / 2, self.y + self.height * 0.45
        r = min(self.width, self.height * 1.15) * 0.42
        w = max(dp(10), r * 0.16)
        lo, hi = self.band
        inside = lo <= self.value <= hi
        self.canvas.clear()
        with self.canvas:
            Color(*T.GREY)
            Line(circle=(cx, cy, r, -120, 120), width=w, cap="none")
            Color(*T.GOOD)
            Line(circle=(cx, cy, r, self._a(lo), self._a(hi)), width=w, cap="none")
            Color(*(T.GOOD if inside else T.PRIMARY))
            Line(circle=(cx, cy, r, -120, self._a(self.value)), width=w * 0.45, cap="none")
            a = math.radians(self._a(self.value))
            Color(*T.TEXT)
            Line(points=[cx, cy, cx + math.sin(a) * r * 0.95, cy + math.cos(a) * r * 0.95],
                 width=dp(3))
            Ellipse(pos=(cx - dp(8), cy - dp(8)), size=(dp(16), dp(16)))


AXIS_W = 40  # dp: room left of a plot for its scale
AXIS_H = 20  # dp: room below a plot for its first/last labels


def nice_step(top: float) -> float:
    """A round tick step (1, 2, 2.5 or 5 x 10^k) giving 2-4 ticks up to ``top``."""
    raw = max(top, 1e-9) / 3.0
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)


def _text(canvas: Any, text: str, x: float, y: float, anchor: str = "right") -> None:
    """Draw ``text`` with its right (or left) edge at x, vertically centred on y."""
    lab = CoreLabel(text=text, font_size=dp(13), color=T.MUTED)
    lab.refresh()
    tex = lab.texture
    left = x - tex.width if anchor == "right" else x if anchor == "left" else x - tex.width / 2
    with canvas:
        Color(1, 1, 1, 1)
        Rectangle(texture=tex, pos=(left, y - tex.height / 2), size=tex.size)


def draw_y_scale(canvas: Any, x0: float, y0: float, w: float, h: float, top: float,
                 unit: str = "") -> None:
    """Faint grid lines with round values on the left: a plot a patient can read."""
    step = nice_step(top)
    v = 0.0
    while v <= top + 1e-9:
        y = y0 + h * v / top
        with canvas:
            Color(*T.GREY[:3], 0.35)
            Line(points=[x0, y, x0 + w, y], width=dp(0.8))
        label = f"{v:g}{unit}"
        _text(canvas, label, x0 - dp(6), y)
        v += step


class BarPlot(Widget):
    """Bars (e.g. ROM per rep) against a target band; ``values`` in the plot's units."""

    values = ListProperty([])
    band = ListProperty([0.0, 0.0])
    top = NumericProperty(100.0)

    def __init__(self, unit: str = "", x_labels: tuple[str, str] = ("", ""), **kw: Any) -> None:
        super().__init__(**kw)
        self.unit, self.x_labels = unit, x_labels
        self.bind(pos=self.redraw, size=self.redraw, values=self.redraw, band=self.redraw)

    def redraw(self, *_: Any) -> None:
        self.canvas.clear()
        bottom = dp(AXIS_H) if any(self.x_labels) else dp(4)
        x0, y0 = self.x + dp(AXIS_W), self.y + bottom + dp(4)
        w, h = self.width - dp(AXIS_W) - dp(6), self.height - bottom - dp(12)
        if w <= 0 or h <= 0:
            return
        top = max(self.top, max(self.values, default=0.0), 1.0)
        draw_y_scale(self.canvas, x0, y0, w, h, top, self.unit)
        if any(self.x_labels):
            _text(self.canvas, self.x_labels[0], x0, self.y + bottom / 2, "left")
            _text(self.canvas, self.x_labels[1], x0 + w, self.y + bottom / 2)
        with self.canvas:
            Color(*T.GOOD_LIGHT)
            lo, hi = self.band
            Rectangle(pos=(x0, y0 + h * lo / top), size=(w, h * (min(hi, top) - lo) / top))
            n = max(len(self.values), 1)
            bw = w / n
            for i, v in enumerate(self.values):
                Color(*(T.PRIMARY if hi <= lo else T.GOOD if lo <= v <= hi else T.WARN))
                Rectangle(pos=(x0 + i * bw + bw * 0.15, y0), size=(bw * 0.7, h * v / top))
            Color(*T.MUTED)
            Line(points=[x0, y0, x0 + w, y0], width=dp(1.2))


class LinePlot(Widget):
    """Several series of (x, y) points on shared axes; optional target line."""

    def __init__(self, x_max: float, y_max: float, unit: str = "",
                 x_labels: tuple[str, str] = ("", ""), **kw: Any) -> None:
        super().__init__(**kw)
        self.x_max, self.y_max = x_max, y_max
        self.unit, self.x_labels = unit, x_labels
        self.series: list[tuple[Sequence[tuple[float, float]], Any]] = []
        self.targets: list[tuple[float, Any]] = []
        self.bind(pos=self.redraw, size=self.redraw)

    def set_data(self, series: list[tuple[Sequence[tuple[float, float]], Any]],
                 targets: list[tuple[float, Any]] = ()) -> None:  # type: ignore[assignment]
        self.series, self.targets = series, list(targets)
        self.redraw()

    def redraw(self, *_: Any) -> None:
        self.canvas.clear()
        bottom = dp(AXIS_H) if any(self.x_labels) else dp(4)
        x0, y0 = self.x + dp(AXIS_W), self.y + bottom + dp(4)
        w, h = self.width - dp(AXIS_W) - dp(10), self.height - bottom - dp(12)
        if w <= 0 or h <= 0:
            return
        draw_y_scale(self.canvas, x0, y0, w, h, self.y_max, self.unit)
        if any(self.x_labels):
            _text(self.canvas, self.x_labels[0], x0, self.y + bottom / 2, "left")
            _text(self.canvas, self.x_labels[1], x0 + w, self.y + bottom / 2)

        def xy(p: tuple[float, float]) -> tuple[float, float]:
            return x0 + w * p[0] / max(self.x_max, 1e-9), y0 + h * min(p[1], self.y_max) / \
                self.y_max

        with self.canvas:
            Color(*T.GREY)
            Line(points=[x0, y0, x0 + w, y0], width=dp(1))
            for y, colour in self.targets:
                Color(*colour)
                Line(points=[x0, xy((0, y))[1], x0 + w, xy((0, y))[1]], width=dp(1.2),
                     dash_length=6, dash_offset=4)
            for pts, colour in self.series:
                Color(*colour)
                flat = [c for p in pts for c in xy(p)]
                if len(pts) > 1:
                    Line(points=flat, width=dp(2))
                for p in pts:
                    px, py = xy(p)
                    Ellipse(pos=(px - dp(4), py - dp(4)), size=(dp(8), dp(8)))


class CalendarGrid(Widget):
    """Adherence: 4 rows of 7 days; green done, grey planned-not-done, light rest days."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.days: list[tuple[bool, bool]] = []
        self.bind(pos=self.redraw, size=self.redraw)

    def set_days(self, days: list[tuple[bool, bool]]) -> None:
        self.days = days
        self.redraw()

    def redraw(self, *_: Any) -> None:
        self.canvas.clear()
        cols, rows = 7, max(1, math.ceil(len(self.days) / 7))
        cell = min(self.width / cols, self.height / rows)
        x0 = self.x + (self.width - cell * cols) / 2
        y_top = self.y + (self.height + cell * rows) / 2
        with self.canvas:
            for i, (planned, done) in enumerate(self.days):
                r, c = divmod(i, cols)
                Color(*(T.GOOD if done else T.GREY if planned else (0.92, 0.93, 0.95, 1)))
                RoundedRectangle(pos=(x0 + c * cell + 2, y_top - (r + 1) * cell + 2),
                                 size=(cell - 4, cell - 4), radius=[dp(4)])


class Legend(StackLayout):
    """A plot's key: one "coloured square + name" label per entry, wrapped as whole entries
    (one markup label wrapped between a square and its name at 800x480)."""

    def __init__(self, entries: Sequence[tuple[Any, str]], size: float = 15, **kw: Any) -> None:
        super().__init__(orientation="lr-tb", spacing=(dp(14), dp(2)), size_hint_y=None, **kw)
        self.bind(minimum_height=self.setter("height"))
        for colour, name in entries:
            hexc = "".join(f"{int(c * 255):02x}" for c in colour[:3])
            lab = Label(text=f"[color={hexc}]■[/color] {name}", markup=True,
                        font_name="DejaVuSans", font_size=T.fs(size), color=T.MUTED,
                        size_hint=(None, None))
            lab.bind(texture_size=lab.setter("size"))
            self.add_widget(lab)


class Badge(Label):
    """A red round count (hidden at zero)."""

    count = NumericProperty(0)

    def __init__(self, **kw: Any) -> None:
        super().__init__(font_size=T.fs(16), bold=True, color=T.WHITE, size_hint=(None, None),
                         size=(dp(30), dp(30)), **kw)
        with self.canvas.before:
            self._col = Color(*T.DANGER)
            self._dot = Ellipse()
        self.bind(pos=self._upd, size=self._upd, count=self._upd)
        self._upd()

    def _upd(self, *_: Any) -> None:
        self.text = str(self.count) if self.count else ""
        self._col.a = 1 if self.count else 0
        self._dot.pos, self._dot.size = self.pos, self.size


class MovementAnim(Widget):
    """A stick drawing of the movement: the moving limb swings from rest to the target
    angle and back, holding at the top, at the prescribed tempo."""

    def __init__(self, target_deg: float, up_s: float, hold_s: float, down_s: float,
                 **kw: Any) -> None:
        super().__init__(**kw)
        self.target, self.up, self.hold, self.down = target_deg, up_s, hold_s, down_s
        self.t = 0.0
        self._ev = None
        self.bind(pos=self.redraw, size=self.redraw)

    def start(self) -> None:
        if self._ev is None:
            self._ev = Clock.schedule_interval(self._step, 1 / 20)

    def stop(self) -> None:
        if self._ev is not None:
            self._ev.cancel()
            self._ev = None

    def _step(self, dt: float) -> None:
        self.t += dt
        self.redraw()

    def angle(self) -> float:
        cycle = self.up + self.hold + self.down + 1.0
        t = self.t % cycle
        if t < self.up:
            s = t / self.up
        elif t < self.up + self.hold:
            s = 1.0
        elif t < self.up + self.hold + self.down:
            s = 1 - (t - self.up - self.hold) / self.down
        else:
            s = 0.0
        return self.target * (0.5 - 0.5 * math.cos(math.pi * s))

    def redraw(self, *_: Any) -> None:
        self.canvas.clear()
        L = min(self.width, self.height) * 0.4
        # not center_x / center_y: stale inside a pos callback (see Gauge.redraw)
        jx, jy = self.x + self.width / 2 - L * 0.3, self.y + self.height / 2 + L * 0.3
        a = math.radians(self.angle())
        with self.canvas:
            Color(*T.GREY)  # the fixed segment
            Line(points=[jx - L, jy, jx, jy], width=dp(9), cap="round")
            Color(*T.GOOD_LIGHT)  # the target position
            ta = math.radians(self.target)
            Line(points=[jx, jy, jx + L * math.sin(ta), jy - L * math.cos(ta)],
                 width=dp(9), cap="round")
            Color(*T.PRIMARY)  # the moving segment
            Line(points=[jx, jy, jx + L * math.sin(a), jy - L * math.cos(a)],
                 width=dp(9), cap="round")
            Color(*T.TEXT)
            Ellipse(pos=(jx - dp(9), jy - dp(9)), size=(dp(18), dp(18)))
