"""Video visits in the kiosk's flow, as part of :class:`kiosk.vm.flow.KioskFlow`: a call
from the clinic (``kiosk.vm.visit.VisitVM``, built by ``kiosk/visit_setup.py``) puts the
visit screen up wherever the patient is, with its consent question; on the lock screen
(mid-PIN, or locked) it waits, says so, and comes up right after the PIN. Hanging up (or
declining) and OK on the ended screen lead back to where the patient was. In the call the
top bar shows, so the patient can start a set (cues are spoken; the call's screen is not
forced back over the set); a set started while the call is connected is marked
supervised (``KioskModel.start_exercise``). The kiosk does not lock itself in a call.
Away from the call's screen while it runs (a set, Today...), :meth:`visit_bar` says the call
is still on, camera and microphone on (and recording, if it is), with "Back to your
therapist"; on the call's screen, while a set is under way, it offers "Back to your
exercise" (:meth:`visit_bar_pressed` does either). A record request brings the call's
screen up wherever the patient is (the question must be seen; its bar then leads back).

A mixin: :class:`KioskFlow` holds the state; these methods only use its model, navigator,
``current`` and ``_show``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kiosk.i18n import N_, _
from kiosk.vm.visit import Phase

if TYPE_CHECKING:
    from kiosk.model import KioskModel
    from kiosk.vm.navigator import Navigator
    from kiosk.vm.visit import VisitVM

VISIT_SCREEN = "visit"
CAMERA_SCREEN = "camera_setup"  # kiosk.vm.flow's
VISIT_WAITING = N_("Your therapist is calling: enter your PIN to answer")
LOCK_SCREENS = ("lock", "closed")
CALL_RUNNING = N_("Video call on · camera on")  # short: one line beside its button at 800 px
CALL_RECORDING = N_("Video call on · RECORDING")
BACK_TO_VISIT = N_("Back to your therapist")
SET_UNDER_WAY = N_("Your exercise is still open")
BACK_TO_SET = N_("Back to your exercise")


@dataclass(frozen=True, slots=True)
class VisitBar:
    """The line shown above the screen while a call runs elsewhere (or a set does)."""

    text: str
    button: str
    recording: bool


class VisitActions:
    model: KioskModel
    nav: Navigator
    current: str
    reminder_notice: str
    _before_visit = ""
    _left_for_visit = ""  # the screen "Back to your therapist" left (a set's)

    def _show(self, name: str, bar: bool) -> None: ...

    def _drop_camera(self) -> None: ...

    @property
    def visit_vm(self) -> VisitVM | None:
        return self.model.visit

    def attach_visits(self, vm: VisitVM) -> None:
        """Listen to ``vm`` (the app's visit kit): its changes move the patient."""
        self.model.visit = vm
        vm.on_change = self.visit_changed

    @property
    def in_visit(self) -> bool:
        """A call is ringing, connecting or running (the kiosk stays unlocked)."""
        vm = self.model.visit
        return vm is not None and vm.active

    def visit_bar(self) -> VisitBar | None:
        """What the bar above the screen shows (``None``: no bar): away from a connected
        call, that it runs and the way back; on the call's screen, the way back to a set."""
        vm = self.model.visit
        if vm is None or vm.phase != Phase.IN_CALL or self.current in LOCK_SCREENS:
            return None
        if self.current == VISIT_SCREEN:
            if self.model.run is None or not self._left_for_visit:
                return None
            return VisitBar(_(SET_UNDER_WAY), _(BACK_TO_SET), vm.recording)
        return VisitBar(_(CALL_RECORDING if vm.recording else CALL_RUNNING), _(BACK_TO_VISIT),
                        vm.recording)

    def visit_bar_pressed(self) -> None:
        """The bar's button: to the call's screen, or from it back to the set."""
        bar = self.visit_bar()
        if bar is None:
            return
        if self.current == VISIT_SCREEN:
            back, self._left_for_visit = self._left_for_visit, ""
            self._show(back, True)  # the set's screen as it was (its camera stays on)
            return
        back = self.current
        if back == CAMERA_SCREEN:  # the installer's camera check closes, as for a call
            self._drop_camera()
            back = "settings"
        self._left_for_visit = back if self.model.run is not None else ""
        self._show(VISIT_SCREEN, True)

    def visit_changed(self) -> None:
        """The call's state changed (the clinic called, it connected, a cue, it ended)."""
        vm = self.model.visit
        if vm is None:
            return
        self.nav.status()  # the bar above the screen (a call on, recording, ended)
        if self.current == VISIT_SCREEN:
            if vm.active:  # in the call the top bar is there: Today, a set, and back
                self._show(VISIT_SCREEN, vm.phase == Phase.IN_CALL)
            elif vm.notice:
                self.nav.redraw(VISIT_SCREEN)
            else:  # dismissed: back where the patient was
                self._leave_visit()
            return
        if vm.record_prompt and vm.phase == Phase.IN_CALL and \
                self.current not in LOCK_SCREENS:  # the patient must see the question
            self._left_for_visit = self.current if self.model.run is not None else ""
            self._show(VISIT_SCREEN, True)  # answered, "Back to your exercise" is there
            return
        if vm.phase != Phase.RINGING:  # left the call's screen for a set: stay there
            if self.reminder_notice == _(VISIT_WAITING) and not vm.active:
                self.reminder_notice = ""  # it stopped ringing before the PIN
                self.nav.redraw(self.current)
            return
        if self.current in LOCK_SCREENS:  # after the PIN (unlocked() asks visit_pending)
            self.reminder_notice = _(VISIT_WAITING)
            self.nav.redraw(self.current)
            return
        self._open_visit(self.current)

    def visit_pending(self, then: str) -> bool:
        """Right after unlocking: a call waiting shows now (``then``: where the patient
        was going, reached after the call)."""
        if not self.in_visit or self.current == VISIT_SCREEN:
            return False
        self._open_visit(then)
        return True

    def visit_done(self) -> None:
        """OK on the ended screen (the visit screen's ``on_done``)."""
        vm = self.model.visit
        if vm is not None:
            vm.dismiss()
        if self.current == VISIT_SCREEN and not self.in_visit:
            self._leave_visit()

    def _open_visit(self, back: str) -> None:
        if back == CAMERA_SCREEN:  # the installer's camera check: closed, back to Settings
            self._drop_camera()
            back = "settings"
        self._before_visit, self._left_for_visit = back, ""
        self._show(VISIT_SCREEN, False)

    def _leave_visit(self) -> None:
        to_set = self._left_for_visit if self.model.run is not None else ""
        back = to_set or self._before_visit or "today"
        self._before_visit = self._left_for_visit = ""
        self._show(back, back not in LOCK_SCREENS)
