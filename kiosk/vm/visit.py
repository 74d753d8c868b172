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
patient's on-screen yes is sent back as consent (the clinic records, the kiosk shows
"Recording"). While a call is connected :attr:`supervision` names the call and its
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
from mqtt.visit import (
    CONNECT_TIMEOUT_S,
    Answer,
    CallState,
    Cue,
    HangUp,
    Ice,
    Inbound,
    Offer,
    Outbound,
    RecordConsent,
    RecordRequest,
    RefuseCode,
    Refused,
    StateReport,
)
from therapy.supervised import Supervision

log = logging.getLogger(__name__)
CallFactory = Callable[[StateCallback], CallAdapter]

NOTICE_DECLINED = "You said no to the video call."
NOTICE_PATIENT_HUNG_UP = "You ended the video call."
NOTICE_CLINIC_HUNG_UP = "Your therapist ended the video call."
CANNOT_CONNECT = "Cannot connect the video call"


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
            return "Camera and microphone ON"
        return "Camera and microphone off"


class VisitVM:
    def __init__(self, calls: CallFactory, send: Callable[[Outbound], bool], speaker: Speaker,
                 *, connect_timeout_s: float = CONNECT_TIMEOUT_S,
                 on_change: Callable[[], None] | None = None) -> None:
        self.calls = calls
        self.send = send
        self.speaker = speaker
        self.connect_timeout_s = connect_timeout_s
        self.on_change = on_change
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

    # --- what the screen reads ---------------------------------------------------------
    def view(self) -> VisitView:
        titles = {Phase.IDLE: "", Phase.RINGING: "Your therapist is calling",
                  Phase.CONNECTING: "Connecting to your therapist...",
                  Phase.IN_CALL: "Video call with your therapist",
                  Phase.ENDED: "Video call ended"}
        return VisitView(self.phase, titles[self.phase], self.camera_on, self.microphone_on,
                         self.cue, self.notice, self.record_prompt, self.recording)

    @property
    def prompt(self) -> str:
        """The consent question while ringing."""
        return ("Your therapist is calling for your appointment. Turn on the camera and "
                "microphone for a video call?")

    @property
    def active(self) -> bool:
        return self.phase in (Phase.RINGING, Phase.CONNECTING, Phase.IN_CALL)

    @property
    def supervision(self) -> Supervision | None:
        if self.phase != Phase.IN_CALL or self.offer is None:
            return None
        return Supervision(self.offer.call, self.offer.appointment)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    # --- from the signalling (asyncio loop) ----------------------------------------------
    def offered(self, offer: Offer) -> None:
        if self.active:
            self.send(Refused(offer.call, RefuseCode.BUSY, "another call is running"))
            return
        self.offer, self.phase = offer, Phase.RINGING
        self.cue = self.notice = ""
        self.record_prompt = self.recording = False
        self.send(StateReport(offer.call, CallState.RINGING))
        self._changed()

    def refused(self, refusal: Refused) -> None:
        """The device refused a call (signalling did, and told the clinic)."""
        self.notice = f"A video call from the clinic was refused: {refusal.reason}"
        self._changed()

    def signal(self, msg: Inbound) -> None:
        if self.offer is None or msg.call != self.offer.call or not self.active:
            self.ignored_ += 1
            return
        if isinstance(msg, Cue):
            self.cue = msg.words
            self.speaker.say(msg.words)
        elif isinstance(msg, HangUp):
            why = f" ({msg.reason})" if msg.reason else ""
            self._spawn_end(NOTICE_CLINIC_HUNG_UP + why)
        elif isinstance(msg, Ice):
            if self.call is not None:
                asyncio.ensure_future(self.call.add_ice(msg))
        elif isinstance(msg, RecordRequest):
            self.record_prompt = True
        self._changed()

    # --- the patient's touches -----------------------------------------------------------
    async def accept(self) -> None:
        """Yes to the call: camera and microphone on, answer, wait for the connection."""
        if self.phase != Phase.RINGING or self.offer is None:
            return
        self.phase = Phase.CONNECTING
        self.camera_on = self.microphone_on = True
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
            await self._fail("the kiosk is not connected to the clinic")
            return
        if self.call.state == "connected":
            self._on_call_state("connected")

    def decline(self) -> None:
        if self.phase != Phase.RINGING or self.offer is None:
            return
        self.send(StateReport(self.offer.call, CallState.DECLINED, "the patient said no"))
        self.phase, self.notice = Phase.ENDED, NOTICE_DECLINED
        self._changed()

    async def hang_up(self) -> None:
        if not self.active or self.offer is None:
            return
        if self.phase == Phase.RINGING:
            self.decline()
            return
        self.send(HangUp(self.offer.call, "the patient hung up"))
        await self._end(NOTICE_PATIENT_HUNG_UP)

    def consent_recording(self, granted: bool) -> None:
        if not self.record_prompt or self.offer is None:
            return
        self.record_prompt = False
        self.recording = granted and self.phase == Phase.IN_CALL
        self.send(RecordConsent(self.offer.call, granted))
        self._changed()

    def dismiss(self) -> None:
        """The patient closed the ended screen (or a refusal notice)."""
        if not self.active:
            self.phase, self.notice, self.cue = Phase.IDLE, "", ""
            self._changed()

    # --- internals -----------------------------------------------------------------------
    def _on_call_state(self, state: str) -> None:
        if state == "connected" and self.phase == Phase.CONNECTING and self.offer is not None:
            if self._timer is not None:
                self._timer.cancel()
            self.phase = Phase.IN_CALL
            self.send(StateReport(self.offer.call, CallState.CONNECTED))
            self._changed()
        elif state == "closed" and self.active:  # the clinic's peer closed without a word
            self._spawn_end(NOTICE_CLINIC_HUNG_UP)
        elif state == "failed" and self.active and self._ending is None:
            self._ending = asyncio.ensure_future(
                self._fail("the connection to the clinic was lost"))

    async def _connect_timeout(self) -> None:
        await asyncio.sleep(self.connect_timeout_s)
        if self.phase == Phase.CONNECTING:
            short = f"no connection within {self.connect_timeout_s:g} s"
            await self._fail(f"{short} (the network between the kiosk and the clinic blocks "
                             "it: check STUN/TURN in rehab.toml [visit])",
                             f"{short}. Your therapist has been told.")

    async def _fail(self, reason: str, patient: str | None = None) -> None:
        """End with ``reason`` to the clinic (and the log), ``patient`` on the screen."""
        if self.offer is not None:
            self.send(StateReport(self.offer.call, CallState.FAILED, reason))
        log.warning("visit call failed: %s", reason)
        await self._end(f"{CANNOT_CONNECT}: {patient or reason}")

    def _spawn_end(self, notice: str) -> None:
        if self._ending is None:
            self._ending = asyncio.ensure_future(self._end(notice))

    async def _end(self, notice: str) -> None:
        if self.phase == Phase.ENDED:
            return
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
