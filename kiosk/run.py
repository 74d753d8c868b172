"""One exercise as the patient does it: pain before, sets (live), pain after, summary.

Drives the therapy :class:`~therapy.session.SessionController` (the same controller the
headless session, BLE, serial and camera use) and feeds a :class:`LiveSetVM`. No Kivy:
the screen calls :meth:`ExerciseRun.start_set` (a task on the running asyncio loop),
:meth:`poll` each frame, and :meth:`finish` at the end.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from typing import Any, Callable

from kiosk.adapters.clinic import Clinic
from kiosk.errors import STORAGE_PROBLEM_TEXT, KioskError, StorageProblem
from kiosk.adapters.sources import OpenSet, SourceFactory, StatusFn
from kiosk.i18n import N_, _
from kiosk.vm.live import LiveSetVM
from kiosk.vm.pain import PainStage, PainVM
from motion.params import SetParams
from sensors.camera.errors import CameraError
from therapy.plan import PlanExercise
from therapy.ports import Analyzer, FhirEncoder, SessionEvent, set_analyzer_factory
from therapy.records import PainPhase, PainReport, SessionRecord, new_id
from therapy.errors import StorageError
from therapy.session import SessionController, SessionState
from therapy.devices import WearableRegistry
from therapy.drafts import DraftJournal
from therapy.store import TherapyStore
from therapy.supervised import SupervisedEncoder, Supervision

log = logging.getLogger(__name__)
SIGNAL_WEAK_S = 5.0  # "signal weak" shows this long after a gap in the stream
SET_END_GRACE_S = 2.0  # live wearables: the set ends this long after the target rep
# the camera's banner shows once the joint has been out of view this long (frame time): a
# few frames without it (a turn, an arm across the knee) say nothing
CAMERA_UNSEEN_S = 1.5
NOTHING_MEASURED = N_("The sensors did not connect, so nothing was measured or saved. "
                      "Check they are charged and close by, then try again.")
CAMERA_STOPPED = N_("The camera stopped, so the set ended with the reps done. Check that it "
                    "is plugged in.")


class ExerciseRun:
    def __init__(self, ex: PlanExercise, *, store: TherapyStore, clinic: Clinic,
                 sources: SourceFactory, plan_version: int | None,
                 appointment_id: str | None = None,
                 monotonic: Callable[[], float] = time.monotonic,
                 supervision: Supervision | None = None) -> None:
        self.ex = ex
        self.store = store
        self.clinic = clinic
        self.sources = sources
        self.monotonic = monotonic
        self.analyzer: Analyzer | None = None
        encoder: Any = FhirEncoder(clinic.device_id)
        if supervision is not None:  # started during a video visit: the records say so
            encoder = SupervisedEncoder(encoder, supervision)
            appointment_id = supervision.appointment
        # each set begun, the pain before and each confirmed rep are journaled as they
        # happen: a crash or power cut loses none (the next start stores them, KioskModel)
        self.ctl = SessionController(ex, sink=store, encoder=encoder,
                                     analyzer_factory=self._analyzer,
                                     plan_version=plan_version, appointment_id=appointment_id,
                                     fused_factory=self._fused, journal=DraftJournal(store))
        self.live = LiveSetVM(ex, lifts=ex.exercise.lifts, watched=appointment_id is not None)
        # a camera's newest picture and skeleton (CameraWorker.latest) for the live screen:
        # the factory's stand-in (screenshots), then the opened set's camera
        self.camera_latest: Callable[[], Any] | None = getattr(sources, "camera_latest", None)
        self._demo = bool(getattr(sources, "demo", False))
        self.pain_before = PainVM(PainStage.BEFORE)
        self.pain_after = PainVM(PainStage.AFTER)
        self.task: asyncio.Task[Any] | None = None
        self._gaps_seen = 0
        self._weak_until = 0.0
        self._status: StatusFn = lambda: ()
        self._open: list[Any] = []
        self._ending = False
        self._target_at: float | None = None
        self.error: str = ""
        self.nothing_measured = False  # no source ever streamed: nothing to store
        self._flag_id = ""  # id of the flagged pain-before report, once made
        self.camera_checked = False  # the camera set-up before the first set was passed
        self.ctl.add_listener(self._on_event)
        self.ctl.add_listener(clinic.live_listener)
        if appointment_id is not None:
            clinic.start_appointment(appointment_id, self.ctl.session_id)

    def _analyzer(self, rate_hz: float, params: SetParams) -> Analyzer:
        """The real analyzer, kept so :meth:`poll` can show its live angle."""
        self.analyzer = set_analyzer_factory(rate_hz, params)
        return self.analyzer

    def _fused(self, rate_hz: float, params: SetParams) -> Any:
        """A camera + wearable set: the fused set, whose counting detector's angle (the
        wearable's, at once) :meth:`poll` shows."""
        from therapy.session import fused_set_factory

        fused = fused_set_factory(rate_hz, params)
        self.analyzer = fused.analyzer
        return fused

    def _on_event(self, ev: SessionEvent) -> None:
        self.live.on_event(ev, self.monotonic())

    # --- pain before ---------------------------------------------------------------------
    def confirm_pain_before(self) -> bool:
        """Record the rating; False when the patient should not exercise (flagged)."""
        vm = self.pain_before
        if vm.rating is None:
            return True
        self.ctl.set_pain_before(vm.rating, vm.note_text)
        if vm.flagged:
            # not exercising: the report goes to the clinic on its own now, under one id
            # however often it is confirmed (the store keeps the first)
            self._flag_id = self._flag_id or new_id()
            p = PainReport(self._flag_id, vm.rating, PainPhase.BEFORE, self.ctl.clock.now(),
                           None, vm.note_text)
            try:
                self.clinic.submit_pain(p)
            except StorageError as exc:
                log.error("pain report %s not saved: %s", p.id, exc)
                self.error = vm.problem = STORAGE_PROBLEM_TEXT
                return False
            self.clinic.notify_outbox()
            self.ctl.drop_draft()  # sent alone: no session of it after a crash either
            return False
        self.pain_after.before = vm.rating
        return True

    # --- the camera ----------------------------------------------------------------------
    @property
    def camera_first(self) -> bool:
        """The first set will be measured by the camera (the source picked for the exercise
        has one) and its set-up has not been passed yet: the flow shows it first."""
        spec_for = getattr(self.sources, "spec_for", None)
        if self.ctl.set_no > 0 or self.camera_checked or spec_for is None:
            return False
        spec = spec_for(self.ex)
        return bool(spec.is_camera or spec.camera is not None)

    @property
    def camera_joint(self) -> Any:
        """The ``sensors.camera.angles.CameraJoint`` the camera measures (the plan's side;
        right when the plan says both), or None when no camera can measure the exercise."""
        from sensors.camera.angles import CameraJoint
        from sensors.camera.errors import CameraError
        from therapy.plan import Side

        side = str(self.ex.side) if self.ex.side in (Side.LEFT, Side.RIGHT) else "right"
        try:
            return CameraJoint.of(str(self.ex.exercise.joint), side)
        except CameraError:
            return None

    # --- sets ----------------------------------------------------------------------------
    @property
    def more_sets(self) -> bool:
        return not self.ctl.stopped and self.ctl.set_no < self.ex.sets

    @property
    def set_running(self) -> bool:
        return self.task is not None and not self.task.done()

    @property
    def paused(self) -> bool:
        """A set is paused (the kiosk may lock meanwhile; resuming then needs the PIN)."""
        return self.ctl.state == SessionState.PAUSED

    def start_set(self) -> None:
        if self.set_running or not self.more_sets:
            return
        try:
            opened = self.sources.open(self.ex, self.ctl.set_no + 1)
        except KioskError as exc:
            self.error = str(exc)
            return
        distal, proximal, self._status = opened.distal, opened.proximal, opened.status
        self._demo = bool(getattr(opened, "demo", self._demo))
        self.camera_latest = getattr(opened, "camera_latest", None) or self.camera_latest
        camera = getattr(opened, "camera", None)
        opened.supervise(self.ctl, self.on_link_event)  # wearables: pause, resume, end
        self.error = ""
        self.live.sensors = self._status()
        self._gaps_seen = 0
        self._open = [s for s in (distal, proximal, camera) if s is not None]
        self._ending = False
        self.task = asyncio.ensure_future(self._run_set(opened))

    def end_set(self) -> None:
        """End the running set now (live wearables stream until told; the simulator ends
        by itself): closing the sources ends the controller's loop normally."""
        if self.set_running and not self._ending:
            self._ending = True
            for src in self._open:
                asyncio.ensure_future(src.aclose())

    async def _run_set(self, opened: OpenSet) -> None:
        try:
            # with a camera: fused with the wearables, each rep says where its ROM came from
            await self.ctl.run_set(opened.distal, opened.proximal,
                                   camera=getattr(opened, "camera", None))
        except CameraError as exc:  # unplugged or failed mid-set: the set ended there
            log.error("set %d: the camera stopped: %s", self.ctl.set_no, exc)
            self.error = CAMERA_STOPPED
            self.live.say(_(CAMERA_STOPPED))
        except Exception as exc:  # supervised boundary: the UI shows it, the app goes on
            log.exception("set failed")
            self.error = _("The sensors stopped: {error}").format(error=exc)
            self.live.running = False
        finally:  # the wearables' gaps are saved with this set
            why = opened.sources.silence() if opened.sources is not None else ""
            empty = bool(why) and not self.ctl.reps_  # a live source that never streamed
            await opened.close(None if empty else WearableRegistry(self.store),
                               self.ctl.session_id, self.ctl.set_no)
            for st in self._status():  # each wearable's level for the clinic's caseload
                if st.segment and st.battery_pct is not None:
                    self.clinic.report_battery(st.segment, int(st.battery_pct))
            self.live.lost.clear()  # the set is over: no wearable is awaited any more
            if empty:
                log.warning("set %d measured nothing: %s", self.ctl.set_no, why)
                self.error = _(NOTHING_MEASURED)
                self.nothing_measured = True
                self.ctl.drop_draft()  # no empty session after a crash either

    @property
    def worth_keeping(self) -> bool:
        """The patient did something the session should keep if the kiosk stops now: a
        confirmed rep (the running set's too) or a confirmed pain before (not a flagged
        one: that went to the clinic on its own). A set whose wearables never streamed
        keeps nothing, as the flow does."""
        if self.nothing_measured:
            return False
        return bool(self.ctl.reps_) or self.pain_after.before is not None

    def pause(self) -> None:
        self.ctl.pause() if self.ctl.state != SessionState.PAUSED else self.ctl.resume()

    def stop(self) -> None:
        self.ctl.stop()
        if self.ctl.state == SessionState.PAUSED:
            self.ctl.resume()

    def poll(self) -> None:
        now = self.monotonic()
        a = self.analyzer
        samples = getattr(a, "samples_", None)
        if a is not None and self.set_running and samples:
            self.live.on_angle(float(getattr(a, "angle_deg_", 0.0)), now)
            self.live.on_pending(int(getattr(a, "pending_reps_", 0)), now)
            gaps = int(getattr(a, "gaps_", 0))
            if gaps > self._gaps_seen:  # the motion core saw a hole in the stream
                self._gaps_seen, self._weak_until = gaps, now + SIGNAL_WEAK_S
            signal = "weak" if now < self._weak_until else "good"
            self.live.sensors = tuple(dataclasses.replace(st, signal=signal)
                                      if st.connected else st for st in self._status())
            if (not self._demo and self.live.reps_in_set >= self.ex.reps
                    and not self._ending):
                # target reached on live wearables: end the set after the last rep settles
                if self._target_at is None:
                    self._target_at = now
                elif now - self._target_at >= SET_END_GRACE_S:
                    self.end_set()
            else:
                self._target_at = None
        if self.set_running and not self._ending:
            self._camera_view(now)
        self.live.tick(now)

    def _camera_view(self, now: float) -> None:
        """A camera set (alone or fused): the banner while its joint is out of view."""
        for src in self._open:
            stream = getattr(src, "stream", None)  # a camera source's angle stream
            unseen = getattr(stream, "unseen_s_", None)  # None: no stream (a wearable)
            if unseen is not None:
                self.live.on_camera_view(str(stream.joint), unseen >= CAMERA_UNSEEN_S, now)

    def on_link_event(self, ev: Any) -> None:
        """A ``sensors.link_events.LinkEvent`` of the supervised live set (lost, back,
        battery low, gone), from a BLE wearable or the USB bridge: the one way the drop-out
        banner ("Thigh sensor lost — bring it closer") comes and goes, and its spoken cue
        (not once the set is ending: its links are being stopped on purpose); a battery
        level also goes to the clinic (its caseload's low-battery alert)."""
        pct = getattr(ev, "battery_pct", None)
        kind = str(ev.kind)
        if not (kind == "lost" and (self._ending or self.ctl.stopped)):
            self.live.on_link(str(ev.segment), kind, pct)
        if pct is not None:
            self.clinic.report_battery(str(ev.segment), int(pct))

    # --- end -----------------------------------------------------------------------------
    def finish(self) -> SessionRecord:
        """Store the session. A store fault raises :class:`StorageProblem` and leaves the
        patient's text in ``error`` and ``pain_after.problem``; finishing again after it
        stores the session and its pain-after report once."""
        vm = self.pain_after
        try:
            rec = self.ctl.finish(pain_after=vm.rating, note=vm.note_text)
        except StorageError as exc:
            log.error("session %s not saved: %s", self.ctl.session_id, exc)
            self.error = vm.problem = STORAGE_PROBLEM_TEXT
            raise StorageProblem(exc) from exc
        self.error = vm.problem = ""
        self.clinic.notify_outbox()
        return rec
