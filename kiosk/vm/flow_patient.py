"""What the patient writes and sets, as part of :class:`kiosk.vm.flow.KioskFlow`:
feedback after a session, a message typed on the on-screen keyboard, the reminder times
and the language (the patient's own Settings: no installer code).

A mixin: :class:`KioskFlow` holds the state; these methods only use its model,
navigator, audio and ``go``/``go_direct``."""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Any

from kiosk.errors import STORAGE_PROBLEM_TEXT
from kiosk.i18n import N_, _, set_language
from kiosk.vm.compose import ComposeVM
from kiosk.vm.feedback import FeedbackVM
from kiosk.vm.reminder_times import ReminderTimesVM
from therapy.audit import Actor
from therapy.errors import StorageError

if TYPE_CHECKING:
    from kiosk.model import KioskModel
    from kiosk.vm.navigator import Cues, Navigator

log = logging.getLogger(__name__)
# Settings (the top bar's) is the patient's own: sound, text size, reminders, language, their
# PIN. Its "Installer settings" asks for the installer code: wearables, camera, clinic, lock.
SETTINGS_SCREEN, INSTALLER_SCREEN = "settings", "installer"
FEEDBACK_SENT = N_("Thank you: your therapist will read it.")
MESSAGE_SENT = N_("Sent to your therapist.")


class PatientWriting:
    model: KioskModel
    nav: Navigator
    audio: Cues
    current: str
    feedback_vm: FeedbackVM | None
    compose_vm: ComposeVM | None
    reminders_vm: ReminderTimesVM | None
    notice: tuple[str, str]  # (screen, line): an outcome shown on that screen

    def go(self, name: str) -> None: ...
    def go_direct(self, name: str) -> None: ...

    def notice_on(self, screen: str) -> str:
        """The outcome line for ``screen`` ("" when there is none for it)."""
        return self.notice[1] if self.notice[0] == screen else ""

    # --- feedback after a session --------------------------------------------------------
    def summary_done(self) -> None:
        """Done on the summary: how did it go? (the feedback screen; Skip is allowed)."""
        rec = self.model.last_record
        name = self.summary_name()
        self.feedback_vm = FeedbackVM(rec.id if rec is not None else None, name)
        self.go("feedback")

    def summary_name(self) -> str:
        vm = getattr(self, "summary_vm", None)
        return vm.name if vm is not None else ""

    def feedback_rate(self, rating: int) -> None:
        if self.feedback_vm is not None:
            self.feedback_vm.rate(rating)
            self.nav.redraw("feedback")

    def feedback_note(self, note: str) -> None:
        if self.feedback_vm is not None:
            self.feedback_vm.toggle_note(note)
            self.nav.redraw("feedback")

    def feedback_type(self) -> None:
        """The keyboard, for the feedback's own words."""
        vm = self.feedback_vm
        self.compose_vm = ComposeVM("feedback", vm.text if vm is not None else "")
        self.go("compose")

    def send_feedback(self) -> None:
        vm = self.feedback_vm
        if vm is None or not vm.can_send:
            return
        try:
            self.model.send_feedback(vm)
        except StorageError as exc:
            log.error("feedback not stored: %s", exc)
            self.notice = ("feedback", _(STORAGE_PROBLEM_TEXT))
            self.nav.redraw("feedback")
            return
        vm.sent = True
        self.feedback_vm = None
        self.notice = ("today", _(FEEDBACK_SENT))
        self.go("today")

    def skip_feedback(self) -> None:
        self.feedback_vm = None
        self.go("today")

    # --- a message typed on the keyboard --------------------------------------------------
    def write_message(self) -> None:
        self.compose_vm = ComposeVM("message")
        self.go("compose")

    def compose_key(self, key: str) -> None:
        if self.compose_vm is not None:
            self.compose_vm.press(key)
            self.nav.redraw("compose")

    def compose_done(self) -> None:
        """Send (a message) or Use (the feedback's words)."""
        vm = self.compose_vm
        if vm is None or not vm.ready:
            return
        if vm.purpose == "feedback":
            self.compose_vm = None
            if self.feedback_vm is not None:
                self.feedback_vm.text = vm.text.strip()
            self.go("feedback")
            return
        try:
            self.model.reply(vm.text.strip())
        except StorageError as exc:
            log.error("message not stored: %s", exc)
            self.notice = ("compose", _(STORAGE_PROBLEM_TEXT))
            self.nav.redraw("compose")
            return
        self.compose_vm = None
        self.notice = ("messages", _(MESSAGE_SENT))
        self.go("messages")
        self.nav.status()

    def compose_cancel(self) -> None:
        vm, self.compose_vm = self.compose_vm, None
        self.go("feedback" if vm is not None and vm.purpose == "feedback"
                and self.feedback_vm is not None else "messages")

    # --- Settings: reminder times and language (the patient's own, behind their PIN) ------
    def open_reminders(self) -> None:
        plan, _demo = self.model.plan()
        self.reminders_vm = ReminderTimesVM(list(self.model.settings.reminder_times),
                                            plan.schedule.times,
                                            plan.schedule.sessions_per_day)
        self.go_direct("reminders")

    def reminder_edit(self, action: str, i: int = 0, minutes: int = 0) -> None:
        """``shift`` time ``i`` by ``minutes``, ``add`` one, ``remove`` time ``i``; saved
        (and audited) at once."""
        vm = self.reminders_vm
        if vm is None:
            return
        if action == "shift":
            vm.shift(i, minutes)
        elif action == "add":
            vm.add()
        elif action == "remove":
            vm.remove(i)
        else:
            raise ValueError(f"unknown reminder action {action!r}")
        self._save_settings(reminder_times=tuple(vm.times))
        self.nav.redraw("reminders")

    def close_reminders(self) -> None:
        self.reminders_vm = None
        self.go_direct("settings")

    def choose_language(self, lang: str) -> None:
        set_language(lang)
        self.audio_language(lang)
        self._save_settings(language=lang)
        self.nav.rebuild()
        self.go_direct(self.current or "settings")

    def audio_language(self, lang: str) -> None:
        set_lang = getattr(self.audio, "set_language", None)
        if set_lang is not None:
            set_lang(lang)

    def settings_actor(self) -> Actor:
        """Who changes a setting, for the audit: the installer on their screen (behind the
        code), else the patient (their own Settings, behind their PIN)."""
        return Actor.INSTALLER if self.current == INSTALLER_SCREEN else Actor.PATIENT

    def _save_settings(self, **changes: Any) -> None:
        m = self.model
        m.update_settings(dataclasses.replace(m.settings, **changes), self.settings_actor())
