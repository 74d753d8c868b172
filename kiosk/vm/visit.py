"""The kiosk's virtual visit, Kivy-free: incoming call -> consent -> in call -> ended.

::

    vm = VisitVM(calls=lambda on_state: AiortcCall(hub.subscribe("call"), settings,
                                                   on_state=on_state),
                 send=signals.send, speaker=audio_cues)
    signals = DeviceVisitSignals(link, ..., listener=vm, loop=loop); signals.attach()
    # the screen: vm.view() after each vm.on_change; touches call
    await vm.accept() / vm.decline() / await vm.hang_up() / vm.consent_recording(True)

Phases (:class:`Phase`): ``idle``; ``ringing`` (a verified offer: the consent prompt,
camera and microphone still OFF); ``connecting`` (the patient said yes: camera and
microphone ON, shown); ``in_call``; ``ended`` (``notice`` says why: who hung up, "cannot
connect" and the reason). Camera and microphone go on only after the patient's yes and
off at every end. A call not connected within :data:`~mqtt.visit.CONNECT_TIMEOUT_S` ends
with the reason on the screen and on ``visit/out`` (state ``failed``), so the clinic
says it too. A cue (``slower``, ``hold``, free text) shows as a banner and is spoken.
Nothing is recorded on the kiosk; a therapist's record request shows a prompt and only the
patient's on-screen yes is sent back as consent (the clinic's browser records, the kiosk
shows "Recording" and a Stop button); no answer in :data:`~mqtt.visit.RECORD_ANSWER_S` is
a no. Each step of a call (offered or refused, the patient's consent, connected, ended and
by whom, recording asked, answered, stopped) goes to the injected ``audit`` (the kiosk's
store: :func:`therapy.audit.record_audit`, sent to the clinic as AuditEvents). While a call is connected :attr:`supervision` names the call and its
appointment: a set the patient starts then is marked supervised
(:class:`therapy.supervised.SupervisedEncoder`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from kiosk.adapters.call import CallAdapter, CallError, StateCallback
from kiosk.i18n import N_, _, fmt_number
from mqtt.visit import (
    CONNECT_TIMEOUT_S,
    RECORD_ANSWER_S,
    Answer,
    CallState,
    Cue,
    CueKind,
    HangUp,
    Ice,
    Inbound,
    Offer,
    Outbound,
    RecordConsent,
    RecordRequest,
    RecordStop,
    RefuseCode,
    Refused,
    StateReport,
)
from therapy.audit import Actor, AuditKind, AuditOutcome
from therapy.supervised import Supervision

log = logging.getLogger(__name__)
CallFactory = Callable[[StateCallback], CallAdapter]
# (kind, outcome, actor, detail) -> the kiosk's audit trail (kiosk/visit_setup.py wires it)
VisitAudit = Callable[[AuditKind, AuditOutcome, Actor, str], None]

# What the patient reads. The VM keeps them in English (the audit and the clinic get
# them); view() shows them in the kiosk's language (shown_notice).
NOTICE_DECLINED = N_("You said no to the video call.")
NOTICE_PATIENT_HUNG_UP = N_("You ended the video call.")
NOTICE_CLINIC_HUNG_UP = N_("Your therapist ended the video call.")
CANNOT_CONNECT = N_("Cannot connect the video call")
REFUSED = N_("A video call from the clinic was refused")
NOT_CONNECTED = N_("the kiosk is not connected to the clinic")
CONNECTION_LOST = N_("the connection to the clinic was lost")
TIMED_OUT = N_("no connection within {s} s. Your therapist has been told.")
CUES_SHOWN = (N_("Slower"), N_("Hold"))  # mqtt.visit.CUE_WORDS, for the catalogue


class Phase(StrEnum):
    IDLE = "idle"
    RINGING = "ringing"
    CONNECTING = "connecting"
    IN_CALL = "in_call"
    ENDED = "ended"


class Speaker(Protocol):
    def say(self, text: str) -> None: ...


@dataclass(frozen=True, slots=True)
class VisitView:
    """What the visit screen shows."""

    phase: Phase
    title: str  # the line at the top
    camera_on: bool
    microphone_on: bool
    cue: str  # the banner ("" none)
    notice: str  # why it ended / was refused ("" none)
    record_prompt: bool  # "Your therapist asks to record. Allow?"
    recording: bool

    @property
    def media_line(self) -> str:
        """Always on screen while in a call: what is on."""
        if self.camera_on or self.microphone_on:
            return _("Camera and microphone ON")
        return _("Camera and microphone off")


class VisitVM:
    def __init__(self, calls: CallFactory, send: Callable[[Outbound], bool], speaker: Speaker,
                 *, connect_timeout_s: float = CONNECT_TIMEOUT_S,
                 record_answer_s: float = RECORD_ANSWER_S,
                 on_change: Callable[[], None] | None = None,
                 audit: VisitAudit | None = None) -> None:
        self.calls = calls
        self.send = send
        self.speaker = speaker
        self.connect_timeout_s = connect_timeout_s
        self.record_answer_s = record_answer_s
        self.on_change = on_change
        self.audit = audit
        self.phase = Phase.IDLE
        self.offer: Offer | None = None
        self.call: CallAdapter | None = None
        self.camera_on = self.microphone_on = False
        self.cue = ""
        self.notice = ""
        self.record_prompt = False
        self.recording = False
        self.ignored_ = 0  # signals for a call that is not this one
        self._timer: asyncio.Task[None] | None = None
        self._ending: asyncio.Task[None] | None = None
        self._record_timer: asyncio.Task[None] | None = None

    # --- what the screen reads ---------------------------------------------------------
    def view(self) -> VisitView:
        titles = {Phase.IDLE: "", Phase.RINGING: N_("Your therapist is calling"),
                  Phase.CONNECTING: N_("Connecting to your therapist..."),
                  Phase.IN_CALL: N_("Video call with your therapist"),
                  Phase.ENDED: N_("Video call ended")}
        return VisitView(self.phase, _(titles[self.phase]), self.camera_on,
                         self.microphone_on, self.cue, shown_notice(self.notice),
                         self.record_prompt, self.recording)

    @property
    def prompt(self) -> str:
        """The consent question while ringing."""
        return _("Your therapist is calling for your appointment. Turn on the camera and "
                 "microphone for a video call?")

    @property
    def active(self) -> bool:
        return self.phase in (Phase.RINGING, Phase.CONNECTING, Phase.IN_CALL)

    @property
    def supervision(self) -> Supervision | None:
        if self.phase != Phase.IN_CALL or self.offer is None:
            return None
        return Supervision(self.offer.call, self.offer.appointment)

    def _audit(self, kind: AuditKind, actor: Actor, detail: str, ok: bool = True) -> None:
        if self.audit is None:
            return
        call = f"call {self.offer.call}, appointment {self.offer.appointment}" \
            if self.offer is not None else "no call"
        self.audit(kind, AuditOutcome.SUCCESS if ok else AuditOutcome.FAILURE, actor,
                   f"{call}: {detail}" if detail else call)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    # --- from the signalling (asyncio loop) ----------------------------------------------
    def offered(self, offer: Offer) -> None:
        if self.active:
            self.send(Refused(offer.call, RefuseCode.BUSY, "another call is running"))
            if self.audit is not None:
                self.audit(AuditKind.VISIT_OFFERED, AuditOutcome.FAILURE, Actor.CLINIC,
                           f"call {offer.call}, appointment {offer.appointment}: refused, "
                           "busy (another call is running)")
            return
        self.offer, self.phase = offer, Phase.RINGING
        self._audit(AuditKind.VISIT_OFFERED, Actor.CLINIC, "ringing")
        self.cue = self.notice = ""
        self.record_prompt = self.recording = False
        self.send(StateReport(offer.call, CallState.RINGING))
        self._changed()

    def refused(self, refusal: Refused) -> None:
        """The device refused a call (signalling did, and told the clinic)."""
        self.notice = f"{REFUSED}: {refusal.reason}"
        if self.audit is not None:
            self.audit(AuditKind.VISIT_OFFERED, AuditOutcome.FAILURE, Actor.CLINIC,
                       f"call {refusal.call or '?'}: refused, {refusal.code}: {refusal.reason}")
        self._changed()

    def signal(self, msg: Inbound) -> None:
        if self.offer is None or msg.call != self.offer.call or not self.active:
            self.ignored_ += 1
            return
        if isinstance(msg, Cue):
            # the fixed cues (mqtt.visit.CUE_WORDS) in the kiosk's language, typed text as sent
            self.cue = msg.words if msg.cue == CueKind.TEXT else _(msg.words)
            self.speaker.say(self.cue)
        elif isinstance(msg, HangUp):
            why = f" ({msg.reason})" if msg.reason else ""
            self._spawn_end(NOTICE_CLINIC_HUNG_UP + why)
        elif isinstance(msg, Ice):
            if self.call is not None:
                asyncio.ensure_future(self.call.add_ice(msg))
        elif isinstance(msg, RecordRequest):
            self._ask_recording()
        elif isinstance(msg, RecordStop):
            self._stop_recording(Actor.CLINIC, "the therapist stopped it")
        self._changed()

    # --- the patient's touches -----------------------------------------------------------
    async def accept(self) -> None:
        """Yes to the call: camera and microphone on, answer, wait for the connection."""
        if self.phase != Phase.RINGING or self.offer is None:
            return
        self.phase = Phase.CONNECTING
        self.camera_on = self.microphone_on = True
        self._audit(AuditKind.VISIT_CONSENT, Actor.PATIENT, "camera and microphone: yes")
        self._changed()
        # the limit runs from the patient's yes, whatever happens while answering
        self._timer = asyncio.ensure_future(self._connect_timeout())
        self.call = self.calls(self._on_call_state)
        try:
            sdp = await self.call.answer(self.offer.sdp)
        except CallError as exc:
            await self._fail(str(exc))
            return
        if self.phase != Phase.CONNECTING:  # hung up while answering
            return
        if not self.send(Answer(self.offer.call, sdp)):
            await self._fail(NOT_CONNECTED)
            return
        if self.call.state == "connected":
            self._on_call_state("connected")

    def decline(self) -> None:
        if self.phase != Phase.RINGING or self.offer is None:
            return
        self.send(StateReport(self.offer.call, CallState.DECLINED, "the patient said no"))
        self._audit(AuditKind.VISIT_CONSENT, Actor.PATIENT, "camera and microphone: no",
                    ok=False)
        self.phase, self.notice = Phase.ENDED, NOTICE_DECLINED
        self._changed()

    async def hang_up(self) -> None:
        if not self.active or self.offer is None:
            return
        if self.phase == Phase.RINGING:
            self.decline()
            return
        self.send(HangUp(self.offer.call, "the patient hung up"))
        await self._end(NOTICE_PATIENT_HUNG_UP, Actor.PATIENT)

    def consent_recording(self, granted: bool, *, answered: bool = True) -> None:
        """The patient's answer to a record request (``answered=False``: nobody answered
        within :attr:`record_answer_s`, a no)."""
        if not self.record_prompt or self.offer is None:
            return
        self.record_prompt = False
        if self._record_timer is not None:
            self._record_timer.cancel()
            self._record_timer = None
        self.recording = granted and self.phase == Phase.IN_CALL
        self.send(RecordConsent(self.offer.call, self.recording))
        said = ("yes" if self.recording else "no") if answered else \
            f"no answer within {self.record_answer_s:g} s (no)"
        self._audit(AuditKind.RECORDING_ANSWERED, Actor.PATIENT if answered else Actor.DEVICE,
                    f"record: {said}", ok=self.recording)
        self._changed()

    def stop_recording(self) -> None:
        """The patient's Stop on the "Recording" indicator: the clinic stops recording."""
        if self.recording and self.offer is not None:
            self.send(RecordStop(self.offer.call))
            self._stop_recording(Actor.PATIENT, "the patient stopped it")
            self._changed()

    def dismiss(self) -> None:
        """The patient closed the ended screen (or a refusal notice)."""
        if not self.active:
            self.phase, self.notice, self.cue = Phase.IDLE, "", ""
            self._changed()

    # --- internals -----------------------------------------------------------------------
    def _ask_recording(self) -> None:
        if self.phase != Phase.IN_CALL or self.recording or self.record_prompt:
            self.ignored_ += 1  # only in a connected call, one question at a time
            return
        self.record_prompt = True
        self._audit(AuditKind.RECORDING_ASKED, Actor.CLINIC, "the therapist asks to record")
        self._record_timer = asyncio.ensure_future(self._record_unanswered())

    async def _record_unanswered(self) -> None:
        await asyncio.sleep(self.record_answer_s)
        self._record_timer = None
        self.consent_recording(False, answered=False)

    def _stop_recording(self, actor: Actor, why: str) -> None:
        if self.recording:
            self.recording = False
            self._audit(AuditKind.RECORDING_STOPPED, actor, why)

    def _on_call_state(self, state: str) -> None:
        if state == "connected" and self.phase == Phase.CONNECTING and self.offer is not None:
            if self._timer is not None:
                self._timer.cancel()
            self.phase = Phase.IN_CALL
            self.send(StateReport(self.offer.call, CallState.CONNECTED))
            self._audit(AuditKind.VISIT_CONNECTED, Actor.DEVICE, "")
            self._changed()
        elif state == "closed" and self.active:  # the clinic's peer closed without a word
            self._spawn_end(NOTICE_CLINIC_HUNG_UP)
        elif state == "failed" and self.active and self._ending is None:
            self._ending = asyncio.ensure_future(
                self._fail(CONNECTION_LOST))

    async def _connect_timeout(self) -> None:
        await asyncio.sleep(self.connect_timeout_s)
        if self.phase == Phase.CONNECTING:
            short = f"no connection within {self.connect_timeout_s:g} s"
            await self._fail(f"{short} (the network between the kiosk and the clinic blocks "
                             "it: check STUN/TURN in rehab.toml [visit])",
                             TIMED_OUT.format(s=f"{self.connect_timeout_s:g}"))

    async def _fail(self, reason: str, patient: str | None = None) -> None:
        """End with ``reason`` to the clinic (and the log), ``patient`` on the screen."""
        if self.offer is not None:
            self.send(StateReport(self.offer.call, CallState.FAILED, reason))
        log.warning("visit call failed: %s", reason)
        await self._end(f"{CANNOT_CONNECT}: {patient or reason}", Actor.DEVICE, reason)

    def _spawn_end(self, notice: str) -> None:
        if self._ending is None:
            self._ending = asyncio.ensure_future(self._end(notice, Actor.CLINIC))

    async def _end(self, notice: str, by: Actor, why: str = "") -> None:
        if self.phase == Phase.ENDED:
            return
        self._stop_recording(Actor.DEVICE, "the call ended")
        self._audit(AuditKind.VISIT_ENDED, by, why or notice, ok=by != Actor.DEVICE)
        if self._record_timer is not None:
            self._record_timer.cancel()
            self._record_timer = None
        self.phase, self.notice = Phase.ENDED, notice
        self.camera_on = self.microphone_on = False
        self.cue, self.record_prompt, self.recording = "", False, False
        if self._timer is not None:
            self._timer.cancel()
        call, self.call = self.call, None
        self._changed()
        if call is not None:
            await call.close()
        self._ending = None


def shown_notice(notice: str) -> str:
    """``notice`` (kept in English) in the kiosk's language: the kiosk's own words are
    translated; a reason the clinic or the network sent stays as sent."""
    for head in (NOTICE_CLINIC_HUNG_UP, CANNOT_CONNECT, REFUSED):
        if notice.startswith(head) and notice != head:
            rest = notice[len(head):]
            sep = rest[:2] if rest.startswith(": ") else ""
            return _(head) + sep + _shown_reason(rest[len(sep):])
    return _(notice)


def _shown_reason(reason: str) -> str:
    head, _sep, tail = TIMED_OUT.partition("{s}")
    if reason.startswith(head) and reason.endswith(tail) and len(reason) > len(TIMED_OUT) - 3:
        secs = reason[len(head):len(reason) - len(tail)]
        try:  # the language's decimal mark: 0.2 -> 0,2
            secs = fmt_number(float(secs), len(secs.partition(".")[2]))
        except ValueError:
            pass
        return _(TIMED_OUT).format(s=secs)
    return _(reason)
