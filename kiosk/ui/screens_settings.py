"""Settings: the patient's own (the top bar's Settings, open once the kiosk is unlocked with
their PIN) and the installer's (behind the installer code, from the patient's Settings).

The patient sets what is theirs: spoken cues and volume, text size, reminder times, the
language and their PIN. The installer's screen holds what sets the kiosk up: wearables,
the camera, the clinic connection and what it refused, a forgotten PIN, the auto-lock."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from kivy.core.text import Label as CoreLabel
from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from kiosk.i18n import LANGUAGES, N_, _
from kiosk.settings import TEXT_SCALES
from kiosk.ui import theme as T
from kiosk.ui.base import KioskScreen, fit_text
from kiosk.ui.widgets import BigButton, Txt, scroller

Choice = tuple[str, Callable[[], None], bool]  # (label, action, chosen now)
CHOICE_W = 130  # dp: a choice button at least; wider when its word needs it
ROW_DP = 68  # a setting's row; on a short screen squeezed down to the touch floor (48 dp)
ACTIONS_DP = 64  # Change PIN and Installer settings, side by side under the settings
SMALLEST_LABEL_SP = 15  # a setting's name wraps, then shrinks to this (not scaled)
CHOICE_SP, ACTION_SP = 19, 20
GAP_DP, PAD_DP = 5, 6


def _word_w(text: str, size: float) -> float:
    """The width of ``text`` on one line in a bold button font of ``size`` sp (scaled)."""
    lab = CoreLabel(text=text, font_size=T.fs(size), bold=True)
    lab.refresh()
    return float(lab.texture.width)


def _columns(rows: list[tuple[str, tuple[Choice, ...]]]) -> list[float]:
    """The three button columns' widths, right-aligned across the rows: each as wide as
    its widest word plus a margin, at least ``CHOICE_W`` ('Muy grande' at the largest
    text wrapped in 130 dp and spilled its button)."""
    widths = [dp(CHOICE_W)] * 3
    for _label, buttons in rows:
        for i, (text, _act, _on) in enumerate(buttons, start=3 - len(buttons)):
            widths[i] = max(widths[i], _word_w(text, CHOICE_SP) + dp(24))
    return widths


def _row(label: str, buttons: tuple[Choice, ...], widths: list[float]) -> BoxLayout:
    """A setting: its name (wrapped, shrunk to fit), then up to three buttons at the right
    (the chosen one blue)."""
    r = BoxLayout(size_hint_y=None, height=T.touch_h(ROW_DP), spacing=dp(8))
    name = Txt(label, 20, fill=True)
    fit_text(name, T.fs(20), sp(SMALLEST_LABEL_SP))
    r.add_widget(name)
    for i in range(3 - len(buttons)):
        r.add_widget(Widget(size_hint_x=None, width=widths[i]))
    for (text, act, on), w in zip(buttons, widths[3 - len(buttons):]):
        r.add_widget(BigButton(text, act, T.PRIMARY if on else T.GREY, size=CHOICE_SP,
                               size_hint=(None, 1), width=w,
                               text_colour=T.WHITE if on else T.TEXT))
    return r


class SettingsScreen(KioskScreen):
    """The patient's Settings: sound, text size, reminders, language; under them Change PIN
    and the way to the installer's (which asks for the installer code). All of it on one
    screen at 800x480 at every text size: the rows share the height (``ROW_DP`` down to the
    touch floor), and the installer's note shows only where there is room (Change PIN
    and Installer settings needed a scroll there)."""

    title = N_("Settings")

    def refresh(self) -> None:
        self.clear_widgets()
        m, flow = self.model, self.flow
        s = m.settings
        root = self.content = BoxLayout(orientation="vertical", padding=dp(PAD_DP),
                                        spacing=dp(GAP_DP))
        from kiosk.vm.clinic_status import clinic_problems

        # records the clinic refused: the bottom strip sends the patient here ("see Settings")
        if problems := clinic_problems(m.store, m.clinic):
            root.add_widget(Txt(problems, 20, T.DANGER, bold=True))
        if saved := flow.notice_on("settings"):  # the new PIN saved
            root.add_widget(Txt(saved, 20, T.GOOD, bold=True))
        sizes = (_("Normal"), _("Large"), _("Largest"))
        times = ", ".join(s.reminder_times) or _("none")
        rows: list[tuple[str, tuple[Choice, ...]]] = [
            (_("Spoken cues and beeps"), ((_("On"), lambda: self._set(audio=True), s.audio),
                                          (_("Off"), lambda: self._set(audio=False),
                                           not s.audio))),
            (_("Volume {pct}%").format(pct=round(s.volume * 100)),
             ((_("Quieter"), lambda: self._set(volume=max(0.0, round(s.volume - 0.2, 1))),
               False),
              (_("Louder"), lambda: self._set(volume=min(1.0, round(s.volume + 0.2, 1))),
               False))),
            (_("Text size"), tuple((name, partial(self._set, text_scale=v),
                                    s.text_scale == v) for name, v in zip(sizes, TEXT_SCALES))),
            (_("Reminders: {times}").format(times=times),
             ((_("Change"), flow.open_reminders, False),)),
            (_("Language"), tuple((name, partial(flow.choose_language, code),
                                   s.language == code) for code, name in LANGUAGES.items())),
        ]
        widths = _columns(rows)
        self.rows = [_row(label, buttons, widths) for label, buttons in rows]
        for r in self.rows:
            root.add_widget(r)
        actions = BoxLayout(size_hint_y=None, height=T.touch_h(ACTIONS_DP), spacing=dp(8))
        actions.add_widget(BigButton(_("Change PIN"), flow.change_my_pin, T.GREY,
                                     size=ACTION_SP, text_colour=T.TEXT, size_hint_y=1))
        actions.add_widget(BigButton(_("Installer settings"), flow.open_installer, T.GREY,
                                     size=ACTION_SP, text_colour=T.TEXT, size_hint_y=1))
        root.add_widget(actions)
        self.note = Txt(_("For the installer or your clinic: wearables, camera, clinic "
                          "connection. They ask for the installer code."), 16, T.MUTED)
        root.add_widget(self.note)
        self.scroll = scroller(root)
        self.add_widget(self.scroll)
        self.bind(size=self._share_height)
        self.note.bind(height=self._share_height)
        self._share_height()

    def _share_height(self, *_: Any) -> None:
        """The rows share what the screen leaves them: ``ROW_DP`` each where it can, less
        on a short screen but not under the touch floor; the installer's note only where
        the rows keep their full height beside it."""
        root, rows, note = self.content, self.rows, self.note
        if self.height < 2:
            return
        others = [w for w in root.children if w not in rows and w is not note]
        free = (self.height - 2 * dp(PAD_DP) - sum(w.height for w in others)
                - dp(GAP_DP) * (len(rows) + len(others) - 1))
        with_note = free - self._note_h() - dp(GAP_DP)
        if with_note >= len(rows) * T.touch_h(ROW_DP):
            free = with_note
            if note.parent is None:
                root.add_widget(note)
        elif note.parent is not None:
            root.remove_widget(note)
        # whole pixels: a fraction over the screen's height shows the scroll bar
        share = max(T.touch_h(T.MIN_TOUCH_DP), min(T.touch_h(ROW_DP), free // len(rows)))
        for r in rows:
            r.height = share

    def _note_h(self) -> float:
        """The installer's note's height at the screen's width (its own width lags a
        layout pass behind: added at a stale 88 px, it measured 300 px and left again)."""
        note = self.note
        need = Label(text=note.text, font_size=note.font_size,
                     text_size=(self.width - 2 * dp(PAD_DP), None))
        need.texture_update()
        return max(need.texture_size[1] + dp(6), dp(24))  # as Txt sizes itself

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
        choices: list[tuple[str, tuple[Choice, ...]]] = [
            (_("Patient's PIN (forgotten, or locked out)"),
             ((_("New PIN"), flow.reset_patient_pin, False),)),
            (_("Lock after"), tuple((f"{mins} min", partial(flow.change_settings,
                                                             lock_after_s=mins * 60.0),
                                     s.lock_after_s == mins * 60.0) for mins in (1, 5, 15))),
        ]
        widths = _columns(choices)
        for label, buttons in choices:
            root.add_widget(_row(label, buttons, widths))
        root.add_widget(Txt(_("Or from a terminal: `rehab pair` (see hw/README.md). The next "
                              "set uses the wearables paired here."), 16, T.MUTED))
        self.add_widget(scroller(root))
