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
session incomplete. A new analyzer (``analyzer_factory``) is made for each set.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from enum import StrEnum
from typing import Any

from motion.types import Rep
from sensors.source import SampleSource
from sensors.types import ImuChunk
from therapy.errors import TherapyError
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
                 fused_factory: Callable[[float, Any], Any] | None = None) -> None:
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
        self._pains.append(PainReport(new_id(), rating, PainPhase.BEFORE, self.clock.now(),
                                      self.session_id, note))

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
        ``motion.camera_set.CameraImuSet``) and each rep records where its ROM came from;
        both streams must be on one clock (host time; a video file and the simulator both
        start at 0)."""
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
        set_offset_s = (self.clock.now() - self._started_at).total_seconds()
        # two_imu follows the sources really streaming, whatever the plan lists
        params = plan_item_params(self.exercise, two_imu=proximal is not None)
        fused = None if camera is None else self.fused_factory(source.info.rate_hz, params)
        analyzer = fused if fused is not None else self.analyzer_factory(source.info.rate_hz,
                                                                           params)
        self._emit(EventKind.SET_STARTED)
        t0: float | None = None
        reps: list[Rep] = []

        def take(new: list[Rep]) -> None:
            sources = fused.rep_sources_[len(fused.rep_sources_) - len(new):] if fused \
                else [""] * len(new)
            for rep, where in zip(new, sources):
                reps.append(rep)
                rec = RepRecord.from_rep(self.set_no, rep, (t0 or 0.0) - set_offset_s,
                                         str(where))
                self.reps_.append(rec)
                self._emit(EventKind.REP, rep, t0 or 0.0)

        try:
            async for chunk, prox, cams in _with_camera(_pairs(source, proximal), camera):
                if len(chunk.t_s) == 0:
                    continue
                if t0 is None:
                    t0 = float(chunk.t_s[0])
                if self._stopped:
                    break
                if self.state == SessionState.PAUSED:
                    continue
                if fused is not None:
                    for cam in cams:
                        take(fused.feed_camera(cam.t_s, cam.angle_deg))
                    take(fused.feed_imu(chunk, prox))
                elif isinstance(chunk, ImuChunk):
                    take(analyzer.feed(chunk, prox))
                else:  # a camera's angle samples (sensors.camera.stream.AngleChunk)
                    take(_feed_angle(analyzer, chunk))
            take(analyzer.finish())
        finally:
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
            appointment_id=self.appointment_id, pains=tuple(self._pains))
        self.sink.save_session(rec, self.encoder.session_items(rec))
        self.record_ = rec
        self.state = SessionState.FINISHED
        self._emit(EventKind.SESSION_ENDED, reps=rec.rep_count, completed=completed)
        return rec


def fused_set_factory(rate_hz: float, params: Any) -> Any:
    """A camera + wearable set (``motion.camera_set.CameraImuSet``) judged by ``params``
    (the same mapping ``motion.params.build_analyzer`` uses)."""
    from motion.camera_set import CameraImuSet
    from motion.params import analyzer_kwargs

    return CameraImuSet(rate_hz, **analyzer_kwargs(params))


async def _with_camera(pairs: AsyncIterator[tuple[ImuChunk, ImuChunk | None]],
                       camera: SampleSource | None) -> AsyncIterator[tuple[
                           ImuChunk, ImuChunk | None, list[Any]]]:
    """Each wearable chunk with the camera chunks that reach its time (read first, so the
    fusion has the camera's view when the wearable's samples come). A camera slower than
    the wearables (pose inference, a video replayed) holds the wearables back rather than
    be left out; a camera that ends leaves them to go on alone."""
    cam_it = camera.__aiter__() if camera is not None else None
    cam_last = float("-inf")
    async for chunk, prox in pairs:
        cams: list[Any] = []
        while cam_it is not None and len(chunk.t_s) and cam_last < float(chunk.t_s[-1]):
            try:
                cam = await cam_it.__anext__()
            except StopAsyncIteration:
                cam_it = None
                break
            cams.append(cam)
            if len(cam.t_s):
                cam_last = float(cam.t_s[-1])
        yield chunk, prox, cams


def _feed_angle(analyzer: Any, chunk: Any) -> list[Rep]:
    """Angle samples (``t_s``, ``angle_deg``: a camera) into the analyzer's one detector
    (``motion.pipeline.SetAnalyzer.feed_angle``, what ``motion.camera_set.CameraSet``
    feeds), so camera reps are judged like IMU reps."""
    feed = getattr(analyzer, "feed_angle", None)
    if feed is None:
        raise TherapyError(f"{type(analyzer).__name__} cannot count reps from angle samples")
    reps: list[Rep] = feed(chunk.t_s, chunk.angle_deg)
    return reps


async def _pairs(source: SampleSource,
                 proximal: SampleSource | None) -> AsyncIterator[tuple[ImuChunk, ImuChunk | None]]:
    """Chunks of the distal source, each with the proximal stream on the same sample times.

    Uses the motion core's ``PairAligner`` (proximal interpolated onto distal times), so two
    wearables with their own clocks, rates or dropped samples pair up correctly.
    """
    if proximal is None:
        async for chunk in source:
            yield chunk, None
        return
    from motion.pipeline import PairAligner

    aligner = PairAligner()
    dist_it, prox_it = source.__aiter__(), proximal.__aiter__()
    prox_done = False
    prox_last = float("-inf")
    while True:
        try:
            chunk = await dist_it.__anext__()
        except StopAsyncIteration:
            break
        aligner.push_distal(chunk)
        while not prox_done and prox_last < float(chunk.t_s[-1]):
            try:
                p = await prox_it.__anext__()
            except StopAsyncIteration:
                prox_done = True
                break
            aligner.push_proximal(p)
            prox_last = float(p.t_s[-1])
        got = aligner.pop(flush=prox_done)
        if got is not None:
            yield got
    got = aligner.pop(flush=True)
    if got is not None:
        yield got
