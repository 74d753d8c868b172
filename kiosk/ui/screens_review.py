"""Summary, Progress and Settings screens."""

from __future__ import annotations

from typing import Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.i18n import LANGUAGES, N_, _
from kiosk.settings import TEXT_SCALES
from kiosk.ui import theme as T
from kiosk.ui.base import KioskScreen
from kiosk.ui.widgets import (BarPlot, BigButton, CalendarGrid, Card, Legend, LinePlot, Txt,
                              scroller)

SERIES_COLOURS = (T.PRIMARY, T.WARN, T.GOOD, T.DANGER, T.MUTED)
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
        root.add_widget(Txt(vm.headline, 28, T.GOOD if vm.completed else T.TEXT, bold=True,
                            fixed_h=dp(44)))
        row = BoxLayout(spacing=dp(12))
        plot = Card()
        plot.add_widget(Txt(_("Movement per rep (green band = your target)"), 17, T.MUTED))
        lo, hi = vm.target_rom_deg * 0.85, vm.target_rom_deg * 1.15 + 5
        plot.add_widget(BarPlot(values=list(vm.roms_deg), band=[lo, hi], top=hi * 1.15,
                                unit="°", x_labels=(_("rep {n}").format(n=1),
                                                     _("rep {n}").format(n=len(vm.roms_deg)))))
        row.add_widget(plot)
        info = BoxLayout(orientation="vertical", spacing=dp(6), size_hint_x=0.8)
        info.add_widget(Txt(vm.quality_text, 21, fill=True))
        info.add_widget(Txt(vm.compare_text, 21, fill=True))
        info.add_widget(Txt(vm.pain_text, 21, T.MUTED, fill=True))
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


class SettingsScreen(KioskScreen):
    """Behind the PIN: wearables, clinic status, sound, text size, lock timeout."""

    title = N_("Settings")

    def refresh(self) -> None:
        self.clear_widgets()
        m = self.model
        s = m.settings
        root = BoxLayout(orientation="vertical", padding=dp(12), spacing=dp(8))

        def row(label: str, *buttons: tuple[str, Any, bool]) -> None:
            r = BoxLayout(size_hint_y=None, height=T.touch_h(68), spacing=dp(8),
                          padding=(0, dp(4)))
            r.add_widget(Txt(label, 20, fill=True))
            for _i in range(3 - len(buttons)):
                r.add_widget(Widget(size_hint_x=None, width=dp(130)))
            for text, act, on in buttons:
                r.add_widget(BigButton(text, act, T.PRIMARY if on else T.GREY, size=19,
                                       size_hint=(None, 1), width=dp(130),
                                       text_colour=T.WHITE if on else T.TEXT))
            root.add_widget(r)

        from kiosk.vm.live import placement_name
        from therapy.devices import WearableRegistry

        rows = WearableRegistry(m.store).all()
        paired = ", ".join(_("{name} on the {placement}").format(
            name=name, placement=placement_name(seg).lower())
            for _a, name, _k, seg, _t, _b in rows)
        root.add_widget(Txt(_("Wearables: {which}").format(
            which=paired or _("none paired: using DEMO SENSORS (simulated)")), 20, bold=True))
        tools = BoxLayout(size_hint_y=None, height=T.touch_h(72), spacing=dp(8))
        tools.add_widget(BigButton(_("Find wearables"), self.flow.open_pairing, T.PRIMARY,
                                   size=20, size_hint_y=1))
        tools.add_widget(BigButton(_("Camera set-up"), self.flow.open_camera_setup, T.PRIMARY,
                                   size=20, size_hint_y=1))
        root.add_widget(tools)
        if self.flow.camera_message:
            root.add_widget(Txt(self.flow.camera_message, 20, T.DANGER, bold=True))
        root.add_widget(Txt(_("Clinic: {status} · {n} records waiting for the clinic").format(
            status=m.clinic.status_text(), n=m.outbox_waiting()), 20))
        from kiosk.vm.clinic_status import clinic_problems  # refused records, rejections

        if problems := clinic_problems(m.store, m.clinic):
            root.add_widget(Txt(problems, 20, T.DANGER, bold=True))
        row(_("Spoken cues and beeps"), (_("On"), lambda: self._set(audio=True), s.audio),
            (_("Off"), lambda: self._set(audio=False), not s.audio))
        row(_("Volume {pct}%").format(pct=round(s.volume * 100)),
            (_("Quieter"), lambda: self._set(volume=max(0.0, round(s.volume - 0.2, 1))),
             False),
            (_("Louder"), lambda: self._set(volume=min(1.0, round(s.volume + 0.2, 1))), False))
        sizes = (_("Normal"), _("Large"), _("Largest"))
        row(_("Text size"), *[(name, lambda v=v: self._set(text_scale=v), s.text_scale == v)
                              for name, v in zip(sizes, TEXT_SCALES)])
        times = ", ".join(m.settings.reminder_times) or _("none")
        row(_("Reminders: {times}").format(times=times),
            (_("Change"), self.flow.open_reminders, False))
        row(_("Language"), *[(name, lambda c=code: self.flow.choose_language(c),
                              s.language == code) for code, name in LANGUAGES.items()])
        row(_("Patient's PIN (forgotten, or locked out)"),
            (_("New PIN"), self.flow.reset_patient_pin, False))
        row(_("Lock after"), *[(f"{mins} min", lambda v=mins: self._set(
            lock_after_s=v * 60.0), s.lock_after_s == mins * 60.0) for mins in (1, 5, 15)])
        root.add_widget(Txt(_("Or from a terminal: `rehab pair` (see hw/README.md). The next "
                              "set uses the wearables paired here."), 16, T.MUTED))
        self.add_widget(scroller(root))

    def _set(self, **changes: Any) -> None:
        self.flow.change_settings(**changes)
