"""One exercise, as part of :class:`kiosk.vm.flow.KioskFlow`: pain before, the sets (start,
pause, stop, the live set's frame tick), pain after, and writing the session off the UI
thread before the summary. A set whose wearables never streamed stores nothing and leads back
to Today with why.

A mixin: :class:`KioskFlow` holds the state and the navigation; these methods use its model,
navigator, audio, ``go`` and ``_spawn``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Coroutine
from typing import TYPE_CHECKING, Any

from kiosk.errors import StorageProblem
from kiosk.vm.pain import PainStage, PainVM
from kiosk.vm.summary import SummaryVM

if TYPE_CHECKING:
    from kiosk.model import KioskModel
    from kiosk.vm.navigator import Cues, Navigator, RunBlocking
    from therapy.plan import PlanExercise

log = logging.getLogger(__name__)


class ExerciseSteps:
    model: KioskModel
    nav: Navigator
    audio: Cues
    run_blocking: RunBlocking
    current: str
    pain_vm: PainVM
    summary_vm: SummaryVM | None
    notice: tuple[str, str]  # (screen, line): an outcome shown on that screen
    finishing: asyncio.Future[None] | None  # writing the session
    _after_run: bool  # the set is over: the pain screen asks for pain after

    if TYPE_CHECKING:  # KioskFlow's (declared here only for the type checker)
        def go(self, name: str) -> None: ...
        def camera_gate(self) -> bool: ...
        def _spawn(self, aw: Awaitable[Any] | Coroutine[Any, Any, Any]) -> asyncio.Future[Any]:
            ...

    # --- one exercise ----------------------------------------------------------------------
    def start_exercise(self, ex: PlanExercise) -> None:
        if self.model.red_flag_today() or not self.model.plan_state().usable:
            self.go("today")  # Today says why (paused today, or the plan has ended)
            return
        run = self.model.start_exercise(ex)
        self._after_run = False
        self.pain_vm = run.pain_before
        self.go("pain")

    def pain_done(self) -> None:
        """Continue on the pain screen: on to the instruction, or write the session."""
        run = self.model.run
        if run is None:
            return
        if self.pain_vm.stage == PainStage.BEFORE:
            if run.confirm_pain_before():
                self.go("instruction")
            return
        if self.finishing is not None:
            return  # a second tap while the record is being written
        self.finishing = self._spawn(self._finish())

    async def _finish(self) -> None:
        """Write the session (one SQLite transaction with fsync) off the UI thread."""
        try:
            summary: SummaryVM = await self.run_blocking(self.model.finish_exercise)
        except StorageProblem as exc:
            # The pain screen says so (run.error) and Done can be tapped again: the
            # record keeps its id, so a later success stores it once.
            log.error("session not stored: %s", exc.cause)
            self.nav.redraw("pain")
            return
        finally:
            self.finishing = None
        self.summary_vm = summary
        self.model.run = None
        self.go("summary")

    def pain_stop(self) -> None:
        """Back to Today after a high pain before: the report goes, no exercise."""
        run = self.model.run
        if run is not None:
            run.confirm_pain_before()
        self.model.run = None
        self.go("today")

    def begin_set(self) -> None:
        run = self.model.run
        if self.camera_gate():  # a camera exercise: its camera set-up first (flow_camera)
            return
        if run is not None:
            run.start_set()
            if run.set_running:
                self.go("live")
            else:  # e.g. no wearable on the needed placement: say so where the patient is
                self.nav.redraw(self.current)

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
        if run.nothing_measured:  # no wearable ever streamed: no empty session is stored
            self.model.run = None
            self.notice = ("today", run.error)
            self.go("today")
            return
        self._after_run = True
        self.pain_vm = run.pain_after
        self.go("pain")

    # --- the live set's tick ------------------------------------------------------------
    def frame(self) -> None:
        """The frame tick (30 Hz): the live set drawn, its cues spoken, its end noticed.

        Away from the live screen (the call's screen during a video visit) a running set is
        still polled: it ends where it is once its target is reached on live wearables, its
        cues are spoken as they come (not all at once on return), and what follows (the
        rest, or pain after and the summary) waits for the patient's return to the set."""
        run = self.model.run
        if run is None:
            return
        on_screen = self.current == "live"
        if not on_screen and not run.set_running:
            return
        run.poll()  # angle, sensor status, drop-out banner, the end of a live set
        if on_screen:
            self.nav.redraw("live")
        for text in run.live.pop_speech():
            self.audio.say(text)
        if on_screen and run.task is not None and run.task.done() and not run.more_sets:
            self._to_pain_after()
