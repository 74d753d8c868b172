"""Summary and Progress screens (Settings: :mod:`kiosk.ui.screens_settings`)."""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView

from kiosk.i18n import N_, _
from kiosk.ui import theme as T
from kiosk.ui.base import KioskScreen, fit_text
from kiosk.ui.widgets import BarPlot, BigButton, CalendarGrid, Card, Legend, LinePlot, Txt

SERIES_COLOURS = (T.PRIMARY, T.WARN, T.GOOD, T.DANGER, T.MUTED)
SMALLEST_INFO_SP = 14  # the summary's lines beside the plot shrink to this (not scaled)
PANELS_MIN_H = dp(600)  # Progress's two rows of plots: each plot ~170 px, not ~50 at 800x480




class SummaryScreen(KioskScreen):
    title = N_("Summary")

    def refresh(self) -> None:
        self.clear_widgets()
        vm = self.flow.summary_vm
        if vm is None:
            return
        self.title = _("Summary · {name}").format(name=vm.name)
        root = BoxLayout(orientation="vertical", padding=dp(12), spacing=dp(8))
        headline = Txt(vm.headline, 28, T.GOOD if vm.completed else T.TEXT, bold=True,
                       fixed_h=dp(44) * max(1.0, T.text_scale() * 0.9))
        fit_text(headline, headline.font_size, sp(SMALLEST_INFO_SP))
        root.add_widget(headline)
        row = BoxLayout(spacing=dp(12))
        plot = Card()
        plot.add_widget(Txt(_("Movement per rep (green band = your target)"), 17, T.MUTED))
        lo, hi = vm.target_rom_deg * 0.85, vm.target_rom_deg * 1.15 + 5
        plot.add_widget(BarPlot(values=list(vm.roms_deg), band=[lo, hi], top=hi * 1.15,
                                unit="°", x_labels=(_("rep {n}").format(n=1),
                                                     _("rep {n}").format(n=len(vm.roms_deg)))))
        row.add_widget(plot)
        info = BoxLayout(orientation="vertical", spacing=dp(6), size_hint_x=0.8)
        for text, colour in ((vm.quality_text, T.TEXT), (vm.compare_text, T.TEXT),
                             (vm.pain_text, T.MUTED)):
            # each shrinks to show whole: at the largest text at 800x480 the comparison
            # ('Movimiento medio 69 (objetivo 70°), más que la última vez') was cut
            line = Txt(text, 21, colour, fill=True)
            fit_text(line, line.font_size, sp(SMALLEST_INFO_SP))
            info.add_widget(line)
        row.add_widget(info)
        root.add_widget(row)
        root.add_widget(BigButton(_("Done"), self.flow.summary_done, T.GOOD))
        self.add_widget(root)


class ProgressScreen(KioskScreen):
    title = N_("Progress")

    def refresh(self) -> None:
        self.clear_widgets()
        vm = self.model.progress()
        grid = GridLayout(cols=2, padding=dp(10), spacing=dp(10), size_hint_y=None)

        def panel(title: str, widget: Any, legend: str | Legend = "") -> Card:
            c = Card()
            c.add_widget(Txt(title, 19, T.TEXT, bold=True, fixed_h=dp(28)))
            c.add_widget(widget)
            if isinstance(legend, Legend):  # wraps whole entries on a small screen
                c.add_widget(legend)
            elif legend:
                c.add_widget(Txt(legend, 15, T.MUTED))
            return c

        days = (_("{n} days ago").format(n=vm.days - 1), _("today"))
        rom = LinePlot(x_max=vm.days - 1, unit="°", x_labels=days, y_max=max(
            [p[1] for s in vm.rom for p in s.points] + [s.target or 0 for s in vm.rom] + [30])
            * 1.15)
        rom.set_data([(s.points, SERIES_COLOURS[i % 5]) for i, s in enumerate(vm.rom)],
                     [(s.target, SERIES_COLOURS[i % 5]) for i, s in enumerate(vm.rom)
                      if s.target])
        keys = [(SERIES_COLOURS[i % 5], s.label) for i, s in enumerate(vm.rom) if s.points]
        grid.add_widget(panel(_("Movement (°) and targets"), rom,
                              Legend(keys) if keys else _("No sessions yet")))
        reps = BarPlot(values=[float(r) for r in vm.reps_per_day], x_labels=days,
                       top=max(max(vm.reps_per_day, default=0), 10))
        grid.add_widget(panel(_("Reps per day"), reps,
                              _("Today: {n} reps").format(n=vm.reps_per_day[-1])))
        pain = LinePlot(x_max=vm.days - 1, y_max=10, x_labels=days)
        pain.set_data([(vm.pain_before.points, T.PRIMARY), (vm.pain_after.points, T.DANGER)])
        before, after = _("before"), _("after")
        grid.add_widget(panel(_("Pain (0-10), daily mean"), pain,
                              Legend([(T.PRIMARY, before), (T.DANGER, after)])))
        cal = CalendarGrid()
        cal.set_days([(planned, done) for _d, planned, done in vm.calendar])
        grid.add_widget(panel(_("Exercise days"), cal, vm.adherence_text))
        # at least PANELS_MIN_H tall: a small screen scrolls rather than squash the plots
        sv = ScrollView(do_scroll_x=False, scroll_type=["bars", "content"])
        sv.add_widget(grid)
        sv.bind(height=lambda _w, h: setattr(grid, "height", max(h, PANELS_MIN_H)))
        grid.height = max(sv.height, PANELS_MIN_H)
        self.add_widget(sv)
