"""Settings: the patient's own (the top bar's Settings, open once the kiosk is unlocked with
their PIN) and the installer's (behind the installer code, from the patient's Settings).

The patient sets what is theirs: spoken cues and volume, text size, reminder times, the
language and their PIN. The installer's screen holds what sets the kiosk up: wearables,
the camera, the clinic connection and what it refused, a forgotten PIN, the auto-lock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.i18n import LANGUAGES, N_, _
from kiosk.settings import TEXT_SCALES
from kiosk.ui import theme as T
from kiosk.ui.base import KioskScreen
from kiosk.ui.widgets import BigButton, Txt, scroller

Choice = tuple[str, Callable[[], None], bool]  # (label, action, chosen now)
CHOICE_W = 130  # dp: a choice button; a row has room for three


def _row(root: BoxLayout, label: str, *buttons: Choice) -> None:
    """A setting: its label, then up to three buttons at the right (the chosen one blue)."""
    r = BoxLayout(size_hint_y=None, height=T.touch_h(68), spacing=dp(8), padding=(0, dp(4)))
    r.add_widget(Txt(label, 20, fill=True))
    for _i in range(3 - len(buttons)):
        r.add_widget(Widget(size_hint_x=None, width=dp(CHOICE_W)))
    for text, act, on in buttons:
        r.add_widget(BigButton(text, act, T.PRIMARY if on else T.GREY, size=19,
                               size_hint=(None, 1), width=dp(CHOICE_W),
                               text_colour=T.WHITE if on else T.TEXT))
    root.add_widget(r)


class SettingsScreen(KioskScreen):
    """The patient's Settings: sound, text size, reminders, language, their PIN; and the
    way to the installer's (which asks for the installer code)."""

    title = N_("Settings")

    def refresh(self) -> None:
        self.clear_widgets()
        m, flow = self.model, self.flow
        s = m.settings
        root = BoxLayout(orientation="vertical", padding=dp(12), spacing=dp(8))
        from kiosk.vm.clinic_status import clinic_problems

        # records the clinic refused: the bottom strip sends the patient here ("see Settings")
        if problems := clinic_problems(m.store, m.clinic):
            root.add_widget(Txt(problems, 20, T.DANGER, bold=True))
        _row(root, _("Spoken cues and beeps"), (_("On"), lambda: self._set(audio=True), s.audio),
             (_("Off"), lambda: self._set(audio=False), not s.audio))
        _row(root, _("Volume {pct}%").format(pct=round(s.volume * 100)),
             (_("Quieter"), lambda: self._set(volume=max(0.0, round(s.volume - 0.2, 1))),
              False),
             (_("Louder"), lambda: self._set(volume=min(1.0, round(s.volume + 0.2, 1))), False))
        sizes = (_("Normal"), _("Large"), _("Largest"))
        _row(root, _("Text size"), *[(name, lambda v=v: self._set(text_scale=v),
                                      s.text_scale == v) for name, v in zip(sizes, TEXT_SCALES)])
        times = ", ".join(s.reminder_times) or _("none")
        _row(root, _("Reminders: {times}").format(times=times),
             (_("Change"), flow.open_reminders, False))
        _row(root, _("Language"), *[(name, lambda c=code: flow.choose_language(c),
                                     s.language == code) for code, name in LANGUAGES.items()])
        _row(root, _("Your PIN"), (_("Change PIN"), flow.change_my_pin, False))
        root.add_widget(Widget(size_hint_y=None, height=dp(4)))
        root.add_widget(BigButton(_("Installer settings"), flow.open_installer, T.GREY, size=20,
                                  text_colour=T.TEXT, height=64))
        root.add_widget(Txt(_("For the installer or your clinic: wearables, camera, clinic "
                              "connection. They ask for the installer code."), 16, T.MUTED))
        self.add_widget(scroller(root))

    def _set(self, **changes: Any) -> None:
        self.flow.change_settings(**changes)


class InstallerScreen(KioskScreen):
    """Behind the installer code: wearables, camera set-up, the clinic connection and what
    it refused, a forgotten PIN, the auto-lock."""

    title = N_("Installer settings")

    def refresh(self) -> None:
        self.clear_widgets()
        m, flow = self.model, self.flow
        s = m.settings
        root = BoxLayout(orientation="vertical", padding=dp(12), spacing=dp(8))
        from kiosk.vm.live import placement_name
        from therapy.devices import WearableRegistry

        rows = WearableRegistry(m.store).all()
        paired = ", ".join(_("{name} on the {placement}").format(
            name=name, placement=placement_name(seg).lower())
            for _a, name, _k, seg, _t, _b in rows)
        root.add_widget(Txt(_("Wearables: {which}").format(
            which=paired or _("none paired: using DEMO SENSORS (simulated)")), 20, bold=True))
        tools = BoxLayout(size_hint_y=None, height=T.touch_h(72), spacing=dp(8))
        tools.add_widget(BigButton(_("Find wearables"), flow.open_pairing, T.PRIMARY,
                                   size=20, size_hint_y=1))
        tools.add_widget(BigButton(_("Camera set-up"), flow.open_camera_setup, T.PRIMARY,
                                   size=20, size_hint_y=1))
        root.add_widget(tools)
        if flow.camera_message:
            root.add_widget(Txt(flow.camera_message, 20, T.DANGER, bold=True))
        root.add_widget(Txt(_("Clinic: {status} · {n} records waiting for the clinic").format(
            status=m.clinic.status_text(), n=m.outbox_waiting()), 20))
        from kiosk.vm.clinic_status import clinic_problems  # refused records, rejections

        if problems := clinic_problems(m.store, m.clinic):
            root.add_widget(Txt(problems, 20, T.DANGER, bold=True))
        _row(root, _("Patient's PIN (forgotten, or locked out)"),
             (_("New PIN"), flow.reset_patient_pin, False))
        _row(root, _("Lock after"), *[(f"{mins} min", lambda v=mins: flow.change_settings(
            lock_after_s=v * 60.0), s.lock_after_s == mins * 60.0) for mins in (1, 5, 15)])
        root.add_widget(Txt(_("Or from a terminal: `rehab pair` (see hw/README.md). The next "
                              "set uses the wearables paired here."), 16, T.MUTED))
        self.add_widget(scroller(root))
