"""The Kivy app: one ScreenManager under a top bar, the screens, a frame tick for the live
set and a 1 s tick for lock, reminders and the badge.

Thin: :class:`kiosk.vm.flow.KioskFlow` decides where the patient is and what happens next;
this app is its :class:`~kiosk.vm.flow.Navigator` (it shows screens with Kivy), forwards
touches and clock ticks to it and runs the systemd watchdog.

Runs on the one asyncio loop (``App.async_run``) beside the sensor tasks; nothing here
blocks (sets run as asyncio tasks, audio as subprocesses, the clinic link on paho's thread).
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk.adapters.audio import AudioCues
from kiosk.i18n import N_, _
from kiosk.model import KioskModel
from kiosk.notify import sd_notify, watchdog_interval_s
from kiosk.ui import theme as T
from kiosk.ui.base import StatusStrip, TopBar
from kiosk.ui.screens_exercise import InstructionScreen, LiveScreen, PainScreen
from kiosk.ui.screens_lock import ClosedScreen, LockScreen
from kiosk.ui.screens_main import IntakeScreen, MessagesScreen, TodayScreen
from kiosk.ui.screens_pairing import PairingScreen
from kiosk.ui.screens_reminders import RemindersScreen
from kiosk.ui.screens_review import ProgressScreen, SummaryScreen
from kiosk.ui.screens_settings import InstallerScreen, SettingsScreen
from kiosk.ui.screens_writing import ComposeScreen, FeedbackScreen
from kiosk.ui.visit_bar import VisitBarView
from kiosk.vm.clinic_status import refused_note
from kiosk.vm.flow import CAMERA_SCREEN, INSTALLER_SCREEN, KioskFlow
from kiosk.vm.flow_visit import VISIT_SCREEN

SCREENS = {"lock": LockScreen, "today": TodayScreen, "intake": IntakeScreen,
           "messages": MessagesScreen, "pain": PainScreen, "instruction": InstructionScreen,
           "live": LiveScreen, "summary": SummaryScreen, "progress": ProgressScreen,
           "settings": SettingsScreen, "pairing": PairingScreen, "closed": ClosedScreen,
           "feedback": FeedbackScreen, "compose": ComposeScreen,
           "reminders": RemindersScreen, "installer": InstallerScreen}


class ScreenShelf(dict[str, Any]):
    """The app's screens by name, each built the first time it is asked for and added to
    the screen manager then: a kiosk that goes from the lock screen to today's exercise
    never builds the settings, pairing, installer or writing screens (their widgets, label
    textures and the on-screen keyboard's keys)."""

    def __init__(self, sm: ScreenManager, make: Any, names: list[str]) -> None:
        super().__init__()
        self._sm, self._make = sm, make
        self.names = tuple(names)  # the screens this app can show

    def __missing__(self, name: str) -> Any:
        if name not in self.names:
            raise KeyError(name)
        screen = self[name] = self._make(name)
        return screen

    def __setitem__(self, name: str, screen: Any) -> None:
        super().__setitem__(name, screen)
        self._sm.add_widget(screen)

    def every(self) -> list[Any]:
        """Every screen the app has, built now if it was not."""
        return [self[n] for n in self.names]


class KioskApp(App):
    title = "rehab kiosk"

    def __init__(self, model: KioskModel, audio: AudioCues | None = None,
                 language: str | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.model = model
        self.audio = audio or AudioCues(model.settings.audio, model.settings.volume)
        # --lang for this run, else the Settings choice (the flow sets it and the voice)
        self.flow = KioskFlow(model, self, self.audio, wake=wake_screen, language=language)
        self.first_frame = asyncio.Event()
        self._events: list[Any] = []
        self.visit_kit: Any = None  # video visits, when the kiosk has a clinic link

    # --- building ----------------------------------------------------------------------
    def build(self) -> BoxLayout:
        Window.clearcolor = T.BG
        self.root_box = BoxLayout(orientation="vertical")
        self.visit_kit = self._visits()
        self._build_content()
        Window.bind(on_touch_down=self._on_any_touch)
        self.flow.go("lock")
        return self.root_box

    def _build_content(self) -> None:
        T.set_scale(self.model.settings.text_scale)
        self.root_box.clear_widgets()
        self.bar = TopBar(self.flow)
        self.strip = StatusStrip()
        self.visit_bar = VisitBarView(self.flow.visit_bar_pressed)
        self.sm = ScreenManager(transition=NoTransition())
        self.screens = ScreenShelf(self.sm, self._make_screen, [
            *SCREENS, *([VISIT_SCREEN] if self.visit_kit is not None else [])])
        self.root_box.add_widget(self.bar)
        self.root_box.add_widget(self.visit_bar)
        self.root_box.add_widget(self.sm)
        self.root_box.add_widget(self.strip)

    def _make_screen(self, name: str) -> Any:
        if name == VISIT_SCREEN:
            from kiosk.ui.visit_screen import VisitScreen

            return VisitScreen(self.visit_kit.vm, preview=self.model.shared_camera.preview(),
                               on_done=self.flow.visit_done, name=VISIT_SCREEN)
        return SCREENS[name](self.flow, name=name)

    def on_start(self) -> None:
        self._events = [Clock.schedule_interval(lambda _dt: self.flow.frame(), 1 / 30),
                        Clock.schedule_interval(lambda _dt: self.flow.second(), 1.0)]
        Window.bind(on_flip=self._flipped)

    def _flipped(self, *_: Any) -> None:
        if not self.first_frame.is_set():
            self.first_frame.set()
            sd_notify("READY=1")
            Window.unbind(on_flip=self._flipped)

    def on_stop(self) -> None:
        """Stopping (systemd's SIGTERM, see run_app, or a test) leaves the current screen
        as a screen change does, so its own clock events and tasks end (the pairing scan,
        the demo figure, the camera preview); the app's ticks and window bindings end too:
        nothing of this app runs once the model is closed. An exercise under way keeps
        what the patient did (KioskModel.keep_unfinished), before the caller closes the
        model."""
        for ev in self._events:
            ev.cancel()
        self._events = []
        Window.unbind(on_touch_down=self._on_any_touch, on_flip=self._flipped)
        screen = getattr(self, "sm", None) and self.sm.current_screen
        if screen is not None:
            screen.dispatch("on_pre_leave")
            screen.dispatch("on_leave")
        if self.visit_kit is not None:
            self.visit_kit.close()
        self.model.keep_unfinished()

    def _visits(self) -> Any:
        """Video visits from the clinic (kiosk/visit_setup.py) over the device's MQTT link
        and the shared camera; an offline kiosk (no rehab.toml) takes no calls."""
        link = getattr(self.model.clinic, "link", None)  # LinkClinic's DeviceLink
        if link is None:
            return None
        from kiosk.adapters.camera import CallCamera
        from kiosk.visit_setup import build_visits

        kit = build_visits(link, self.model.store,  # the hub is duck-typed: subscribe()
                           hub=CallCamera(self.model.shared_camera),  # type: ignore[arg-type]
                           speaker=self.audio, data_dir=self.model.data_dir,
                           loop=asyncio.get_running_loop())
        self.flow.attach_visits(kit.vm)
        return kit

    def _on_any_touch(self, *_: Any) -> None:
        self.flow.touch()

    # --- the flow's Navigator ------------------------------------------------------------
    def show(self, name: str, bar: bool) -> None:
        screen = self.screens[name]  # built the first time it is shown
        self.sm.current = name
        screen.refresh()
        self.bar.opacity, self.bar.disabled = (1, False) if bar else (0, True)
        self.bar.height = T.touch_h(60) if bar else 0
        self.status()

    def redraw(self, name: str) -> None:
        if name in self.screens:  # one never shown is drawn when it is (show)
            self.screens[name].refresh()

    def status(self) -> None:
        m = self.model
        title = self.screens[self.sm.current].title
        if not isinstance(title, str):  # the visit screen's title is its own label
            title = self.visit_kit.vm.view().title if self.visit_kit is not None else ""
        self.bar.update(_(title), m.unread())
        self.visit_bar.update(self.flow.visit_bar())
        self.strip.update(m.outbox_waiting(), m.clinic.status_text(), m.sources.demo,
                          refused_note(m.store))

    def rebuild(self) -> None:
        """Text size changed: build the screens again at the new scale."""
        self._build_content()

    def show_camera(self, worker: Any, vm: Any) -> None:
        from kiosk.camera_setup import CameraSetupScreen

        screen = CameraSetupScreen(vm, worker.latest, self.model.monotonic,
                                   on_start=self.flow.close_camera_setup,
                                   on_back=self.flow.camera_setup_back, start_text=N_("Done"),
                                   name=CAMERA_SCREEN)
        self.screens[CAMERA_SCREEN] = screen  # the shelf adds it to the manager
        self.sm.current = CAMERA_SCREEN
        self.status()

    def close_camera(self) -> None:
        screen = self.screens.pop(CAMERA_SCREEN, None)
        if screen is not None:
            if self.sm.current == CAMERA_SCREEN:
                self.screens[INSTALLER_SCREEN]  # noqa: B018 - built if it was not
                self.sm.current = INSTALLER_SCREEN
            self.sm.remove_widget(screen)


def wake_screen() -> None:
    """Turn the backlight on (Pi DSI panels) where the file is writable; else nothing."""
    from pathlib import Path

    for bl in Path("/sys/class/backlight").glob("*/bl_power"):
        try:
            bl.write_text("0")
        except OSError:
            pass


async def run_app(app: KioskApp) -> None:
    """Run the app on the current asyncio loop with the systemd watchdog beside it.
    SIGTERM (systemd stopping or restarting the kiosk) stops the app as a test does
    (KioskApp.on_stop: the current screen is left, its ticks and scans end), whatever the
    window provider (SDL2 turns it into a quit event itself), with STOPPING=1 to systemd;
    the caller then closes the model."""

    async def watchdog() -> None:
        await app.first_frame.wait()
        while True:
            sd_notify("WATCHDOG=1")
            await asyncio.sleep(watchdog_interval_s())

    def terminate() -> None:
        sd_notify("STOPPING=1")
        app.stop()

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, terminate)
    wd = asyncio.ensure_future(watchdog())
    try:
        await app.async_run(async_lib="asyncio")
    finally:
        wd.cancel()
        loop.remove_signal_handler(signal.SIGTERM)
