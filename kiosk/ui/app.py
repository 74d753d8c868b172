"""The Kivy app: one ScreenManager under a top bar, navigation between the thin screens,
a frame tick for the live set and a 1 s tick for lock, reminders and the badge.

Runs on the one asyncio loop (``App.async_run``) beside the sensor tasks; nothing here
blocks (sets run as asyncio tasks, audio as subprocesses, the clinic link on paho's thread).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk.adapters.audio import AudioCues
from kiosk.errors import StorageProblem
from kiosk.access import AccessState
from kiosk.model import KioskModel
from kiosk.notify import sd_notify, watchdog_interval_s
from kiosk.ui import theme as T
from kiosk.ui.base import KioskScreen, StatusStrip, TopBar
from kiosk.ui.screens_exercise import InstructionScreen, LiveScreen, PainScreen
from kiosk.ui.screens_lock import ClosedScreen, LockScreen
from kiosk.ui.screens_main import IntakeScreen, MessagesScreen, TodayScreen
from kiosk.ui.screens_pairing import PairingScreen
from kiosk.ui.screens_review import ProgressScreen, SettingsScreen, SummaryScreen
from kiosk.vm.intake import IntakeVM
from kiosk.vm.lock import Purpose
from kiosk.vm.pain import PainStage, PainVM
from kiosk.vm.reminders import due_reminder
from therapy.plan import PlanExercise

log = logging.getLogger(__name__)
SCREENS = {"lock": LockScreen, "today": TodayScreen, "intake": IntakeScreen,
           "messages": MessagesScreen, "pain": PainScreen, "instruction": InstructionScreen,
           "live": LiveScreen, "summary": SummaryScreen, "progress": ProgressScreen,
           "settings": SettingsScreen, "pairing": PairingScreen, "closed": ClosedScreen}
LOCKED_SCREENS = ("lock", "closed")  # no top bar: nothing reachable from here
CAMERA_SCREEN = "camera_setup"
CAMERA_READY = "Good: the camera sees you well. Press Done."


class KioskApp(App):
    title = "rehab kiosk"

    def __init__(self, model: KioskModel, audio: AudioCues | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.model = model
        self.audio = audio or AudioCues(model.settings.audio, model.settings.volume)
        self.reminder_notice = ""
        self.first_frame = asyncio.Event()
        self._last_reminder: datetime | None = None
        self._after_run = False
        self._finishing = False
        self._events: list[Any] = []
        self.camera_message = ""
        self.camera_worker: Any = None

    def now(self) -> float:
        return self.model.monotonic()

    # --- building ----------------------------------------------------------------------
    def build(self) -> BoxLayout:
        Window.clearcolor = T.BG
        self.root_box = BoxLayout(orientation="vertical")
        self._build_content()
        Window.bind(on_touch_down=self._on_any_touch)
        return self.root_box

    def _build_content(self, current: str = "lock") -> None:
        T.set_scale(self.model.settings.text_scale)
        self.root_box.clear_widgets()
        self.bar = TopBar(self)
        self.strip = StatusStrip()
        self.sm = ScreenManager(transition=NoTransition())
        self.screens: dict[str, KioskScreen] = {}
        for name, cls in SCREENS.items():
            self.screens[name] = cls(self, name=name)
            self.sm.add_widget(self.screens[name])
        self.root_box.add_widget(self.bar)
        self.root_box.add_widget(self.sm)
        self.root_box.add_widget(self.strip)
        self.go(current)

    def rebuild(self) -> None:
        """Text size changed: build the screens again at the new scale."""
        self._build_content(self.sm.current)

    def on_start(self) -> None:
        self._events = [Clock.schedule_interval(self._frame, 1 / 30),
                        Clock.schedule_interval(self._second, 1.0)]
        Window.bind(on_flip=self._flipped)

    def _flipped(self, *_: Any) -> None:
        if not self.first_frame.is_set():
            self.first_frame.set()
            sd_notify("READY=1")
            Window.unbind(on_flip=self._flipped)

    def on_stop(self) -> None:
        for ev in self._events:
            ev.cancel()

    # --- navigation ----------------------------------------------------------------------
    def go(self, name: str) -> None:
        if CAMERA_SCREEN in self.screens:
            self._drop_camera()  # left the preview any way (top bar, lock): camera off
        name = self._gate(name)
        self.sm.current = name
        self.screens[name].refresh()
        locked = name in LOCKED_SCREENS
        self.bar.opacity, self.bar.disabled = (0, True) if locked else (1, False)
        self.bar.height = 0 if locked else T.touch_h(60)
        self.update_bar()

    def update_bar(self) -> None:
        m = self.model
        self.bar.update(self.screens[self.sm.current].title, m.unread())
        self.strip.update(m.outbox_waiting(), m.clinic.status_text(), m.sources.demo)

    def _gate(self, name: str) -> str:
        """Where ``go(name)`` may really lead: the closed screen while the settings are
        damaged, choosing a PIN until there is one, the installer code before Settings."""
        access, lock = self.model.access, self.model.lock
        screen: Any = self.screens["lock"]
        if access.state == AccessState.CLOSED:
            return "closed"
        if access.state == AccessState.CHOOSE_PIN:
            if screen.flow is None or not screen.flow.first_run:
                screen.start_first_run()
            return "lock"
        if name == "settings" and self.sm.current not in LOCKED_SCREENS:
            self._before_settings = self.sm.current
            lock.begin(Purpose.SETTINGS)
            screen.flow = None
            return "lock"
        if name == "lock":
            lock.begin(Purpose.UNLOCK)
            screen.flow = None
        return name

    _before_settings = "today"

    def lock_now(self) -> None:
        self.model.lock.lock("Lock button")
        self.go("lock")

    def leave_settings_prompt(self) -> None:
        """Back from the installer-code prompt to where the patient was."""
        self.model.lock.begin(Purpose.UNLOCK)
        if self.model.lock.locked:
            self.go("lock")
        else:
            self.go_direct(self._before_settings)

    def unlocked(self, purpose: str) -> None:
        if purpose == Purpose.SETTINGS:
            self.model.lock.begin(Purpose.UNLOCK)
            self.go_direct("settings")
            return
        self.reminder_notice = ""
        if self.model.run is not None and self._resume_screen:
            self.go(self._resume_screen)
            return
        intake = self.model.intake_needed()
        if intake is not None:
            self.screens["intake"].start(intake)  # type: ignore[attr-defined]
            self.go("intake")
        else:
            self.go("today")

    _resume_screen = ""

    def go_direct(self, name: str) -> None:
        if CAMERA_SCREEN in self.screens:
            self._drop_camera()
        self.sm.current = name
        self.screens[name].refresh()
        self.bar.opacity, self.bar.disabled, self.bar.height = 1, False, T.touch_h(60)
        self.update_bar()

    # --- Settings tools (reached only from Settings, so already behind the PIN) ---------
    def open_pairing(self) -> None:
        self.go_direct("pairing")
        self.screens["pairing"].start()  # type: ignore[attr-defined]

    def open_camera_setup(self) -> None:
        """The camera preview with a live worker, or "No camera found" on Settings."""
        from kiosk.adapters.camera import NoCamera
        from kiosk.camera_setup import CameraSetupScreen
        from kiosk.camera_setup_vm import CameraSetupVM
        from sensors.camera.angles import CameraJoint

        try:
            worker = self.model.camera()
        except NoCamera as exc:
            self.camera_message = str(exc)
            self.go_direct("settings")
            return
        self.camera_message = ""
        self.camera_worker = worker
        vm = CameraSetupVM(CameraJoint.KNEE_RIGHT, "knee_extension_seated",
                           ready_message=CAMERA_READY)
        screen = CameraSetupScreen(vm, worker.latest, self.model.monotonic,
                                   on_start=self.close_camera_setup,
                                   on_back=self.close_camera_setup, start_text="Done",
                                   name=CAMERA_SCREEN)
        self.screens[CAMERA_SCREEN] = screen  # type: ignore[assignment]
        self.sm.add_widget(screen)
        self.sm.current = CAMERA_SCREEN
        self.update_bar()

    def reset_patient_pin(self) -> None:
        """Settings > Set a new PIN: the installer sets a forgotten PIN (new one twice)."""
        screen: Any = self.screens["lock"]
        screen.flow = self.model.access.pin_flow(reset=True)
        self.go_direct("lock")

    def close_camera_setup(self) -> None:
        self.go_direct("settings")

    def _drop_camera(self) -> None:
        screen = self.screens.pop(CAMERA_SCREEN, None)
        if screen is not None:
            if self.sm.current == CAMERA_SCREEN:
                self.sm.current = "settings"
            self.sm.remove_widget(screen)
        worker, self.camera_worker = self.camera_worker, None
        if worker is not None:  # stopping joins its threads: not on the UI thread
            asyncio.get_running_loop().run_in_executor(None, worker.stop)

    def _on_any_touch(self, *_: Any) -> None:
        self.model.lock.touch(self.now())

    # --- flows ---------------------------------------------------------------------------
    def intake_done(self, vm: IntakeVM) -> None:
        self.model.submit_intake(vm)
        self.go("today")

    def start_exercise(self, ex: PlanExercise) -> None:
        if self.model.red_flag_today():
            self.go("today")
            return
        run = self.model.start_exercise(ex)
        self._after_run = False
        self.screens["pain"].start(run.pain_before)  # type: ignore[attr-defined]
        self.go("pain")

    def pain_done(self, vm: PainVM) -> None:
        run = self.model.run
        if run is None:
            return
        if vm.stage == PainStage.BEFORE:
            if run.confirm_pain_before():
                self.go("instruction")
            return
        if self._finishing:
            return  # a second tap while the record is being written
        self._finishing = True
        asyncio.ensure_future(self._finish())

    async def _finish(self) -> None:
        """Write the session (one SQLite transaction with fsync) off the UI thread."""
        try:
            loop = asyncio.get_running_loop()
            summary = await loop.run_in_executor(None, self.model.finish_exercise)
        except StorageProblem as exc:
            # The pain screen says so (run.error) and Done can be tapped again: the
            # record keeps its id, so a later success stores it once.
            log.error("session not stored: %s", exc.cause)
            self.screens["pain"].refresh()  # type: ignore[attr-defined]
            return
        finally:
            self._finishing = False
        self.screens["summary"].show(summary)  # type: ignore[attr-defined]
        self.model.run = None
        self.go("summary")

    def pain_stop(self) -> None:
        run = self.model.run
        if run is not None:
            run.confirm_pain_before()
        self.model.run = None
        self.go("today")

    def begin_set(self) -> None:
        run = self.model.run
        if run is not None:
            run.start_set()
            if run.set_running:
                self.go("live")
            else:  # e.g. no wearable on the needed placement: say so where the patient is
                self.screens[self.sm.current].refresh()

    def pause_set(self) -> None:
        if self.model.run is not None:
            self.model.run.pause()

    def stop_set(self) -> None:
        run = self.model.run
        if run is not None:
            run.stop()
            if not run.set_running:
                self._to_pain_after()

    def _to_pain_after(self) -> None:
        run = self.model.run
        if run is None or self._after_run:
            return
        self._after_run = True
        self.screens["pain"].start(run.pain_after)  # type: ignore[attr-defined]
        self.go("pain")

    # --- ticks ---------------------------------------------------------------------------
    def _frame(self, _dt: float) -> None:
        run = self.model.run
        if run is None or self.sm.current != "live":
            return
        self.screens["live"].refresh()
        for text in run.live.pop_speech():
            self.audio.say(text)
        if run.task is not None and run.task.done() and not run.more_sets:
            self._to_pain_after()

    def _second(self, _dt: float) -> None:
        m = self.model
        now = self.now()
        # a set being done keeps the kiosk open; a paused one does not (resuming then
        # needs the PIN: the lock screen leads back to the paused set)
        busy = m.run is not None and m.run.set_running and not m.run.paused
        if m.lock.tick(now, busy=busy):
            self._resume_screen = self.sm.current if m.run is not None else ""
            self.go("lock")
        self._check_reminder()
        cur = self.sm.current
        if cur == "lock":
            self.screens["lock"].refresh()
        self.update_bar()

    def _check_reminder(self) -> None:
        m = self.model
        plan, _demo = m.plan()
        today = m.today()
        due = due_reminder(m.settings.reminder_times, plan.schedule.sessions_per_day,
                           today.exercise_day, m.clock.now(), self._last_reminder,
                           today.all_done)
        if due is not None:
            self._last_reminder = m.clock.now()
            self.reminder_notice = "It is time for your exercises"
            wake_screen()
            self.audio.chime()


def wake_screen() -> None:
    """Turn the backlight on (Pi DSI panels) where the file is writable; else nothing."""
    from pathlib import Path

    for bl in Path("/sys/class/backlight").glob("*/bl_power"):
        try:
            bl.write_text("0")
        except OSError:
            pass


async def run_app(app: KioskApp) -> None:
    """Run the app on the current asyncio loop with the systemd watchdog beside it."""

    async def watchdog() -> None:
        await app.first_frame.wait()
        while True:
            sd_notify("WATCHDOG=1")
            await asyncio.sleep(watchdog_interval_s())

    wd = asyncio.ensure_future(watchdog())
    try:
        await app.async_run(async_lib="asyncio")
    finally:
        wd.cancel()
