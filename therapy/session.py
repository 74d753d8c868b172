"""The session controller: runs the sets of one exercise and produces the session record.

The same object drives the kiosk UI and ``rehab session --sim``::

    ctl = SessionController(plan_exercise, sink=store, encoder=FhirEncoder(device_id))
    ctl.add_listener(live_feed)           # SessionEvent for each rep, pause, set end ...
    ctl.set_pain_before(3)
    await ctl.run_set(distal_source)      # async for over the source; one set
    await ctl.run_set(distal_source2)     # next set, after the rest the UI shows
    record = ctl.finish(pain_after=2, note="knee felt fine")   # stored + outbox, one tx

``pause()`` drops incoming samples until ``resume()`` (a live wearable keeps streaming;
the analyzer sees a gap); ``stop()`` ends the current set at the next chunk and marks the
session incomplete. A new analyzer (``analyzer_factory``) is made for each set; how a set's
samples reach it (two wearables paired, a camera's angles, a camera fused with wearables) is
``therapy.set_streams``.

With a ``journal`` (``therapy.drafts.DraftJournal``) each set begun, the pain before and
each confirmed rep are written durably as they happen, a rep before its REP event goes to
the listeners (what the patient sees is on disk), so a crash or power cut loses none: the
next start stores the draft (``therapy.drafts.recover_drafts``). A failed journal write is
logged and counted (``journal_failures_``); the session goes on. :meth:`watch_gaps` journals
a live set's wearable outages as each starts and ends (its end saves them for good) and
keeps them for the record, which sends them to the clinic (``SessionRecord.gaps``), each with
the clock pair that places it in calendar time, live or recovered after a crash.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from motion.types import Rep
from sensors.source import SampleSource
from sensors.types import ImuChunk
from therapy.errors import StorageError, TherapyError
from therapy.gap_watch import GapWatch, SessionGaps
from therapy.journal import ClockPair, DraftGap, DraftHeader, SessionJournal
from therapy.params import plan_item_params
from therapy.plan import PlanExercise
from therapy.ports import (
    AnalyzerFactory,
    Encoder,
    EventKind,
    RecordSink,
    SessionEvent,
    SessionListener,
    SystemClock,
    WallClock,
    set_analyzer_factory,
)
from therapy.records import PainPhase, PainReport, RepRecord, SessionRecord, new_id
from therapy.set_streams import CAMERA_END_WAIT_S, CameraFeed, feed_angle, fused_set_factory
from therapy.set_streams import pairs as _pairs  # also imported from here (tests/ble, bench)

log = logging.getLogger(__name__)


class SessionState(StrEnum):
    READY = "ready"
    RUNNING = "running"
    PAUSED = "paused"
    BETWEEN_SETS = "between_sets"
    FINISHED = "finished"


class SessionController:
    """Runs one exercise session (see module doc). Not thread-safe: use from one loop."""

    def __init__(self, exercise: PlanExercise, *, sink: RecordSink, encoder: Encoder,
                 clock: WallClock | None = None,
                 analyzer_factory: AnalyzerFactory = set_analyzer_factory,
                 plan_version: int | None = None, appointment_id: str | None = None,
                 fused_factory: Callable[[float, Any], Any] | None = None,
                 journal: SessionJournal | None = None) -> None:
        self.exercise = exercise
        self.sink = sink
        self.encoder = encoder
        self.clock: WallClock = clock or SystemClock()
        self.analyzer_factory = analyzer_factory
        # a camera + wearable set's fused analyzer (the kiosk keeps it to show its angle)
        self.fused_factory = fused_factory or fused_set_factory
        self.plan_version = plan_version
        self.appointment_id = appointment_id
        self.session_id = new_id()
        self.state = SessionState.READY
        self.set_no = 0
        self.reps_: list[RepRecord] = []
        self.record_: SessionRecord | None = None
        self._listeners: list[SessionListener] = []
        self._pains: list[PainReport] = []
        self._stopped = False
        self._started_at = self.clock.now()
        self.journal = journal
        self.journal_failures_ = 0
        self._gaps = SessionGaps()  # the wearable outages watch_gaps saw, for the record

    # --- the journal (a crash loses nothing) ------------------------------------------------
    def _header(self) -> DraftHeader:
        return DraftHeader.of(self.exercise, self._started_at, self.plan_version,
                              self.appointment_id, self.encoder)

    def _journal(self, write: Callable[[SessionJournal], None]) -> None:
        if self.journal is None or self.record_ is not None:  # stored: nothing to journal
            return
        try:
            write(self.journal)
        except StorageError as exc:  # the session goes on; a stop or finish still stores it
            self.journal_failures_ += 1
            log.error("session %s: journal write failed (%d so far; a crash now would lose "
                      "what is not written): %s", self.session_id, self.journal_failures_,
                      exc)

    def drop_draft(self) -> None:
        """Nothing of this session is to be kept after a crash (the patient left it with
        nothing done: a flagged pain before, wearables that never streamed)."""
        self._journal(lambda j: j.drop(self.session_id))

    def _journal_rep(self, rec: RepRecord) -> None:
        self._journal(lambda j: j.rep(self.session_id, rec, self.clock.now()))

    def watch_gaps(self, live: Any) -> None:
        """Journal the wearable outages of ``live`` (the ``sensors.live_set.LiveSet`` of the
        running set, or of the next one: it is supervised before it runs) as each starts and
        ends (``therapy.gap_watch``), and keep them for the record (``SessionRecord.gaps``).
        Both carry the clock pair read now (this controller's wall clock, ``live.clock``'s
        host time), which places them in calendar time, live or recovered after a crash."""
        running = self.state in (SessionState.RUNNING, SessionState.PAUSED)
        host = getattr(live, "clock", None)
        clock = ClockPair(self.clock.now(), float(host.now())) if host is not None else None

        def write(gap: DraftGap) -> None:
            self._gaps.keep(gap)
            self._journal(lambda j: j.gap(self.session_id, gap))

        GapWatch(write, self.set_no if running else self.set_no + 1, clock).attach(live)

    # --- listeners -------------------------------------------------------------------
    def add_listener(self, listener: SessionListener) -> None:
        self._listeners.append(listener)

    def _emit(self, kind: EventKind, rep: Rep | None = None, rep_t0: float = 0.0,
              **extra: Any) -> None:
        ev = SessionEvent(kind, self.session_id, self.exercise.exercise_id, self.set_no,
                          self.clock.now(), rep, rep_t0, extra)
        for listener in self._listeners:
            try:
                listener(ev)
            except Exception:  # a broken listener (UI, live feed) must not end the session
                log.exception("session listener %r failed on %s", listener, kind)

    # --- control ---------------------------------------------------------------------
    def set_pain_before(self, rating: int, note: str = "") -> None:
        self._pains = [p for p in self._pains if p.phase != PainPhase.BEFORE]
        pain = PainReport(new_id(), rating, PainPhase.BEFORE, self.clock.now(),
                          self.session_id, note)
        self._pains.append(pain)
        self._journal(lambda j: j.pain_before(self.session_id, self._header(), pain))

    def pause(self) -> None:
        if self.state == SessionState.RUNNING:
            self.state = SessionState.PAUSED
            self._emit(EventKind.PAUSED)

    def resume(self) -> None:
        if self.state == SessionState.PAUSED:
            self.state = SessionState.RUNNING
            self._emit(EventKind.RESUMED)

    def stop(self) -> None:
        """End the current set at the next chunk; no further sets run."""
        self._stopped = True

    @property
    def stopped(self) -> bool:
        return self._stopped

    # --- running ---------------------------------------------------------------------
    async def run_set(self, source: SampleSource,
                      proximal: SampleSource | None = None, *,
                      camera: SampleSource | None = None) -> list[Rep]:
        """Run one set to the end of the source (or stop()); returns its reps. ``source``
        may be a camera's angle source (``sensors.camera.source.CameraSource``, chunks of
        ``t_s`` and ``angle_deg``): its angles go to the same detector, at its frame rate.
        ``camera`` with wearables: the camera angle is fused with the wearables' (a
        ``motion.camera_set.CameraImuSet``): each rep is counted (REP) when the wearable's
        samples confirm it, then measured (REP_MEASURED: fused ROM and where it came from,
        what the stored rep keeps) once the camera's frames cover it; both streams must be
        on one clock (host time; a video file and the simulator both start at 0)."""
        if self.state == SessionState.FINISHED:
            raise TherapyError("session already finished")
        if self._stopped:
            return []
        if self.set_no == 0:
            self._started_at = self.clock.now()
            self._emit(EventKind.SESSION_STARTED, target_reps=self.exercise.reps,
                       target_sets=self.exercise.sets)
        self.set_no += 1
        self.state = SessionState.RUNNING
        names = [getattr(src.info, "sensor_id", "?") for src in (source, proximal, camera)
                 if src is not None]
        self._journal(lambda j: j.set_started(self.session_id, self._header(), self.set_no,
                                              names, self.clock.now()))
        set_offset_s = (self.clock.now() - self._started_at).total_seconds()
        # two_imu follows the sources really streaming, whatever the plan lists
        params = plan_item_params(self.exercise, two_imu=proximal is not None)
        fused = None if camera is None else self.fused_factory(source.info.rate_hz, params)
        analyzer = fused if fused is not None else self.analyzer_factory(source.info.rate_hz,
                                                                           params)
        self._emit(EventKind.SET_STARTED)
        t0: float | None = None
        reps: list[Rep] = []

        first_rec = len(self.reps_)

        def take(new: list[Rep]) -> None:
            for rep in new:
                reps.append(rep)
                rec = RepRecord.from_rep(self.set_no, rep, (t0 or 0.0) - set_offset_s)
                self.reps_.append(rec)
                self._journal_rep(rec)
                self._emit(EventKind.REP, rep, t0 or 0.0)
            if fused is not None:
                measured(fused.pop_measured())

        def measured(got: list[tuple[int, Rep, Any]]) -> None:
            # the stored rep takes the fused ROM and its source (the count stays)
            for i, rep, where in got:
                rec = RepRecord.from_rep(self.set_no, rep, (t0 or 0.0) - set_offset_s,
                                         str(where))
                self.reps_[first_rec + i] = rec
                self._journal_rep(rec)
                self._emit(EventKind.REP_MEASURED, rep, t0 or 0.0, index=i,
                           source=str(where))

        cam = CameraFeed(camera, fused, lambda: self.state == SessionState.PAUSED,
                          measured) if fused is not None and camera is not None else None
        try:
            async for chunk, prox in _pairs(source, proximal):
                if len(chunk.t_s) == 0:
                    continue
                if t0 is None:
                    t0 = float(chunk.t_s[0])
                if self._stopped:
                    break
                if cam is not None:  # the fusion may run at most its wait limit ahead
                    await cam.reach(float(chunk.t_s[-1]) - cam.ahead_s, lambda: self._stopped)
                if self.state == SessionState.PAUSED:
                    continue
                if fused is not None:
                    take(fused.feed_imu(chunk, prox))
                elif isinstance(chunk, ImuChunk):
                    take(analyzer.feed(chunk, prox))
                else:  # a camera's angle samples (sensors.camera.stream.AngleChunk)
                    take(feed_angle(analyzer, chunk))
            if cam is not None and fused is not None and not self._stopped:
                # the frames covering the last reps, before they are measured for good
                await cam.reach(fused.imu_end_s, lambda: self._stopped,
                                timeout_s=CAMERA_END_WAIT_S)
            if cam is not None:
                await cam.close()
            take(analyzer.finish())
        except Exception:
            # a source that failed mid-set (a camera unplugged, a port gone): the set ends
            # with the reps confirmed so far, so the session goes on (another set, or pain
            # after and the summary) instead of staying "running"; the error goes on up
            self.state = SessionState.BETWEEN_SETS
            self._emit(EventKind.SET_ENDED, reps=len(reps), failed=True)
            raise
        finally:
            if cam is not None:
                await cam.close()
            for src in (source, proximal, camera):
                if src is not None:
                    await src.aclose()
        self.state = SessionState.BETWEEN_SETS
        self._emit(EventKind.SET_ENDED, reps=len(reps))
        return reps

    def finish(self, pain_after: int | None = None, note: str = "") -> SessionRecord:
        """Close the session: build the record and store it with its outbox rows."""
        if self.record_ is not None:
            return self.record_
        now = self.clock.now()
        if pain_after is not None:
            # a retry after a failed save replaces the report under the same id, never adds
            # a second one (tapping Done again after "storage full")
            old = next((p for p in self._pains if p.phase == PainPhase.AFTER), None)
            self._pains = [p for p in self._pains if p.phase != PainPhase.AFTER]
            self._pains.append(PainReport(old.id if old else new_id(), pain_after,
                                          PainPhase.AFTER, now, self.session_id, note))
        ex = self.exercise
        completed = (not self._stopped and self.set_no >= ex.sets
                     and len(self.reps_) >= ex.sets * ex.reps)
        rec = SessionRecord(
            id=self.session_id, exercise_id=ex.exercise_id, side=str(ex.side),
            joint=str(ex.exercise.joint), started_at=self._started_at, ended_at=now,
            target_sets=ex.sets, target_reps=ex.reps, target_rom_deg=ex.target_rom_deg,
            target_hold_s=ex.hold_s, reps=tuple(self.reps_), sets_done=self.set_no,
            completed=completed, plan_version=self.plan_version,
            appointment_id=self.appointment_id, pains=tuple(self._pains),
            gaps=self._gaps.records(self.set_no))
        self.sink.save_session(rec, self.encoder.session_items(rec))
        self.record_ = rec
        self.state = SessionState.FINISHED
        self._emit(EventKind.SESSION_ENDED, reps=rec.rep_count, completed=completed)
        return rec
