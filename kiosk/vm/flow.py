"""The kiosk's flow without Kivy: which screen shows and the gates before it (closed,
choose a PIN, the PIN, the installer code before the installer's settings, auto-lock),
reminders, and the camera set-up gate; one exercise from pain before to the summary is
:class:`~kiosk.vm.flow_exercise.ExerciseSteps`.

:class:`KioskFlow` decides; a :class:`~kiosk.vm.navigator.Navigator` shows.
``kiosk.ui.app.KioskApp`` is the Kivy navigator: it builds the screens, forwards touches
and clock ticks here and runs the watchdog. Time comes from the model (``monotonic`` for
the lock and the live set, ``clock`` for reminders); blocking work (writing a session,
stopping the camera's threads) goes through the injected ``run_blocking`` (an executor by
default), never the UI thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from kiosk.access import AccessState
from kiosk.i18n import N_, _, set_language
from kiosk.vm.compose import ComposeVM
from kiosk.vm.flow_camera import CameraGate
from kiosk.vm.flow_exercise import ExerciseSteps
from kiosk.vm.feedback import FeedbackVM
from kiosk.vm.flow_instruction import InstructionActions
from kiosk.vm.flow_patient import INSTALLER_SCREEN, PatientWriting
from kiosk.vm.flow_visit import VisitActions
from kiosk.vm.intake import IntakeVM
from kiosk.vm.lock import Purpose
from kiosk.vm.navigator import Cues, Navigator, RunBlocking, in_executor
from kiosk.vm.pain import PainStage, PainVM
from kiosk.vm.pairing import PairingVM
from kiosk.vm.pin_change import PinChangeVM
from kiosk.vm.reminder_times import ReminderTimesVM, effective_times
from kiosk.vm.reminders import due_reminder
from kiosk.vm.summary import SummaryVM

if TYPE_CHECKING:
    from kiosk.model import KioskModel

LOCKED_SCREENS = ("lock", "closed")  # no top bar: nothing reachable from here
CAMERA_SCREEN = "camera_setup"
INSTALLER_ONLY = (INSTALLER_SCREEN, "pairing")  # go() asks for the code before these
CAMERA_READY = N_("Good: the camera sees you well. Press Done.")
REMINDER_TEXT = N_("It is time for your exercises")
NEW_PIN_SAVED = N_("Your new PIN is saved. Enter it to unlock.")
PIN_CHANGED = N_("Your new PIN is saved.")  # on Settings, after its Change PIN


class LockView(NamedTuple):
    """What the lock screen shows: no health data, at most that exercises are due."""

    notice: str  # the reminder, or ""
    message: str  # the prompt or the outcome of the last try
    dots: str  # one dot per digit typed
    actions: tuple[str, ...]  # the small buttons: "Change PIN", "Cancel" or "Back"


def _no_wake() -> None:
    pass


class KioskFlow(ExerciseSteps, CameraGate, PatientWriting, InstructionActions, VisitActions):
    def __init__(self, model: KioskModel, nav: Navigator, audio: Cues, *,
                 wake: Callable[[], None] = _no_wake,
                 run_blocking: RunBlocking = in_executor, language: str | None = None) -> None:
        self.model = model
        self.nav = nav
        self.audio = audio
        self.wake = wake  # turn the backlight on for a reminder
        self.run_blocking = run_blocking
        self.current = ""
        # what the screens show (the screens hold no state of the flow)
        self.pain_vm = PainVM(PainStage.BEFORE)
        self.intake_vm = IntakeVM(first_run=True)
        self.summary_vm: SummaryVM | None = None
        self.pin_flow: PinChangeVM | None = None  # choosing or changing the PIN
        self.pin_back = ""  # the screen a PIN change from it returns to ("": stay locked)
        self.pairing_vm: PairingVM | None = None
        self.feedback_vm: FeedbackVM | None = None
        self.compose_vm: ComposeVM | None = None
        self.reminders_vm: ReminderTimesVM | None = None
        self.notice = ("", "")  # (screen, line) an outcome shown on that screen
        self.reminder_notice = ""
        self.camera_message = ""
        self.camera_worker: Any = None
        self.finishing: asyncio.Future[None] | None = None  # writing the session
        self.scanning: asyncio.Future[None] | None = None  # looking for wearables
        self._before_settings = "today"
        self._resume_screen = ""
        self._after_run = False
        self._last_reminder: datetime | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        lang = language or model.settings.language  # --lang, else the Settings choice
        set_language(lang)
        self.audio_language(lang)

    def now(self) -> float:
        return self.model.monotonic()

    def _spawn(self, aw: Awaitable[Any] | Coroutine[Any, Any, Any]) -> asyncio.Future[Any]:
        fut = asyncio.ensure_future(aw)
        self._tasks.add(fut)
        fut.add_done_callback(self._tasks.discard)
        return fut

    # --- navigation ----------------------------------------------------------------------
    def go(self, name: str) -> None:
        self._drop_camera()  # left the preview any way (top bar, lock): camera off
        name = self._gate(name)
        self._show(name, name not in LOCKED_SCREENS)

    def go_direct(self, name: str) -> None:
        """To ``name`` past the gates (from behind the PIN or the installer code)."""
        self._drop_camera()
        self._show(name, True)

    def _show(self, name: str, bar: bool) -> None:
        if self.notice[0] != name:
            self.notice = ("", "")  # an outcome line shows once, where it was meant for
        self.current = name
        self.nav.show(name, bar)

    def _gate(self, name: str) -> str:
        """Where ``go(name)`` may really lead: the closed screen while the settings are
        damaged, choosing a PIN until there is one, the installer code before the
        installer's settings (the patient's own Settings need only the unlocked kiosk)."""
        access, lock = self.model.access, self.model.lock
        if access.state == AccessState.CLOSED:
            return "closed"
        if access.state == AccessState.CHOOSE_PIN:
            if self.pin_flow is None or not self.pin_flow.first_run:
                self.pin_flow = access.pin_flow()
            return "lock"
        if name in INSTALLER_ONLY:
            if self.current not in LOCKED_SCREENS:  # Back on the prompt returns there
                self._before_settings = self.current
            lock.begin(Purpose.SETTINGS)
            self.pin_flow = None
            return "lock"
        if name == "lock":
            lock.begin(Purpose.UNLOCK)
            self.pin_flow, self.pin_back = None, ""
        return name

    def lock_now(self) -> None:
        self.model.lock.lock("Lock button")
        self.go("lock")

    def open_installer(self) -> None:
        """Settings > Installer settings: the installer code first."""
        self.go(INSTALLER_SCREEN)

    def leave_settings_prompt(self) -> None:
        """Back from the installer-code prompt to where the patient was (Settings)."""
        self.model.lock.begin(Purpose.UNLOCK)
        if self.model.lock.locked:
            self.go("lock")
        else:
            self.go_direct(self._before_settings)

    def unlocked(self, purpose: str) -> None:
        if purpose == Purpose.SETTINGS:
            self.model.lock.begin(Purpose.UNLOCK)
            if not self.visit_pending(INSTALLER_SCREEN):
                self.go_direct(INSTALLER_SCREEN)
            return
        self.reminder_notice = ""
        if self.visit_pending(self._resume_screen if self.model.run is not None
                              and self._resume_screen else "today"):
            return  # the clinic is calling: the consent question first
        if self.model.run is not None and self._resume_screen:
            self.go(self._resume_screen)
            return
        intake = self.model.intake_needed()
        if intake is not None:
            self.intake_vm = intake
            self.go("intake")
        else:
            self.go("today")

    def retry_access(self) -> None:
        """The closed screen's Try again: read the settings file again."""
        self.model.access.reload()
        self.go("lock")

    # --- the lock screen's keypad ----------------------------------------------------------
    def lock_view(self) -> LockView:
        lock, now, flow = self.model.lock, self.now(), self.pin_flow
        if flow is not None:
            msg, dots = flow.prompt(now), flow.dots
            actions: tuple[str, ...] = () if flow.first_run else ("Cancel",)
        else:
            msg, dots = lock.message(now), lock.dots
            actions = ("Back",) if lock.purpose == Purpose.SETTINGS else ("Change PIN",)
        return LockView(self.reminder_notice, msg, dots, actions)

    def key(self, digit: str) -> None:
        if self.pin_flow is not None:
            self.pin_flow.press(digit)
        else:
            self.model.lock.press(digit, self.now())

    def erase(self) -> None:
        (self.pin_flow or self.model.lock).erase()

    def submit_entry(self) -> None:
        """OK on the keypad: the PIN or installer code, or a step of choosing a PIN."""
        lock = self.model.lock
        if self.pin_flow is not None:
            self._pin_flow_submit(self.pin_flow)
        elif lock.submit(self.now()):
            self.unlocked(lock.purpose)

    def start_pin_change(self) -> None:
        self.pin_flow, self.pin_back = self.model.access.pin_flow(), ""

    def cancel_pin_flow(self) -> None:
        flow, self.pin_flow = self.pin_flow, None
        back, self.pin_back = self.pin_back, ""
        if flow is not None and flow.reset:
            self.go_direct(INSTALLER_SCREEN)
        elif back:
            self.go_direct(back)
        else:
            self.nav.redraw(self.current)

    def change_my_pin(self) -> None:
        """Settings > Change PIN (the patient's): the keypad asks the old PIN, then the new
        one twice, as the lock screen's Change PIN does; the kiosk stays unlocked, and
        Cancel or the new PIN saved returns to Settings. (It locked the kiosk: Cancel left
        the patient at 'Enter your PIN', and either way the next unlock went to Today.)
        The lock screen without its top bar: Cancel is the way back."""
        self.pin_flow, self.pin_back = self.model.access.pin_flow(), self.current
        self._show("lock", False)

    def reset_patient_pin(self) -> None:
        """Installer settings > New PIN: the installer sets a forgotten PIN (new one twice)."""
        self.pin_flow = self.model.access.pin_flow(reset=True)
        self.go_direct("lock")

    def _pin_flow_submit(self, flow: PinChangeVM) -> None:
        pin = flow.submit(self.now())
        if pin is None:
            return
        access, lock = self.model.access, self.model.lock
        access.save_pin(pin, first_run=flow.first_run, reset=flow.reset)
        self.pin_flow = None
        back, self.pin_back = self.pin_back, ""
        if flow.reset:
            self.go_direct(INSTALLER_SCREEN)
        elif back:
            self.notice = (back, _(PIN_CHANGED))
            self.go_direct(back)
        elif flow.first_run:  # the patient just chose it: carry on, unlocked
            lock.locked = False
            lock.touch(self.now())
            self.unlocked(Purpose.UNLOCK)
        else:
            lock.notice = NEW_PIN_SAVED

    def touch(self) -> None:
        """Any touch on the screen: the inactivity lock starts again."""
        self.model.lock.touch(self.now())

    # --- intake, messages, settings --------------------------------------------------------
    def intake_done(self) -> None:
        if self.intake_vm.complete:
            self.model.submit_intake(self.intake_vm)
            self.go("today")

    def messages_seen(self) -> None:
        self.model.mark_messages_read()
        self.nav.status()

    def reply(self, text: str) -> None:
        self.model.reply(text)
        self.nav.redraw(self.current)
        self.nav.status()

    def change_settings(self, **changes: Any) -> None:
        import dataclasses

        m = self.model
        m.update_settings(dataclasses.replace(m.settings, **changes), self.settings_actor())
        if "text_scale" in changes:
            self.nav.rebuild()
            self._show(self.current, self.current not in LOCKED_SCREENS)
        else:
            self.nav.redraw(self.current)
        self.audio.configure(m.settings.audio, m.settings.volume)

    # --- installer tools (reached only from the installer's settings, behind the code) ----
    def open_pairing(self) -> None:
        self.pairing_vm = self.model.pairing()
        self.go_direct("pairing")
        self.scan_wearables()

    def close_pairing(self) -> None:
        """Back to the installer's settings (Find wearables is theirs)."""
        self.go_direct(INSTALLER_SCREEN)

    def scan_wearables(self) -> None:
        if self.pairing_vm is None or (self.scanning is not None and not self.scanning.done()):
            return
        self.scanning = self._spawn(self.pairing_vm.scan())
        self.nav.redraw("pairing")

    def open_camera_setup(self) -> None:
        """The camera preview with a live worker, or "No camera found" on Settings."""
        from kiosk.adapters.camera import NoCamera
        from kiosk.camera_setup_vm import CameraSetupVM
        from sensors.camera.angles import CameraJoint

        try:
            worker = self.model.camera()
        except NoCamera as exc:
            self.camera_message = str(exc)
            self.go_direct(INSTALLER_SCREEN)
            return
        self.camera_message = ""
        self.camera_worker = worker
        vm = CameraSetupVM(CameraJoint.KNEE_RIGHT, "knee_extension_seated",
                           ready_message=_(CAMERA_READY))
        self.current = CAMERA_SCREEN
        self.nav.show_camera(worker, vm)

    def close_camera_setup(self) -> None:
        if self.gate_passed():  # Done before a camera exercise: on to its set
            return
        self.go_direct(INSTALLER_SCREEN)

    def _drop_camera(self) -> None:
        worker, self.camera_worker = self.camera_worker, None
        if worker is None:
            return
        self.nav.close_camera()
        if self.current == CAMERA_SCREEN:
            self.current = INSTALLER_SCREEN
        self._spawn(self.run_blocking(worker.stop))  # joins its threads: not on the UI thread

    # --- the 1 s tick ---------------------------------------------------------------------
    def second(self) -> None:
        """The 1 s tick: the inactivity lock, reminders, the lock screen's clock, the bar."""
        m = self.model
        now = self.now()
        # a set being done keeps the kiosk open; a paused one does not (resuming then
        # needs the PIN: the lock screen leads back to the paused set)
        busy = m.run is not None and m.run.set_running and not m.run.paused or self.in_visit
        if m.lock.tick(now, busy=busy):
            self._resume_screen = self.current if m.run is not None else ""
            self.go("lock")
        self._check_reminder()
        if self.current == "lock":
            self.nav.redraw("lock")
        self.nav.status()

    def _check_reminder(self) -> None:
        m = self.model
        plan, _demo = m.plan()
        today = m.today()
        times, _from_plan = effective_times(m.settings.reminder_times, plan.schedule.times,
                                            plan.schedule.sessions_per_day)
        due = due_reminder(times, len(times), today.exercise_day, m.clock.now(),
                           self._last_reminder, today.all_done)
        if due is not None:
            self._last_reminder = m.clock.now()
            self.reminder_notice = _(REMINDER_TEXT)
            self.wake()
            self.audio.chime()
