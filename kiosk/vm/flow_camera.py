"""The camera set-up as the gate before a camera exercise, as part of
:class:`kiosk.vm.flow.KioskFlow`: when a set of the exercise will be measured by the camera
(``therapy.sources.pick_source`` picked it: a camera exercise, a camera present), Start on
the instruction screen first shows the camera set-up for the exercise's own joint and side
(framing, light, distance, which side faces the camera: ``kiosk.camera_setup_vm``). Done
(enabled once the camera sees the patient well) starts the set, and the set's camera reads
through the very pose worker the set-up showed (no second model load, the camera stays on);
Back returns to the instruction. Settings' own camera check is unchanged.

A mixin: :class:`KioskFlow` holds the state and the navigation; these methods use its model,
navigator, ``go``, ``begin_set``, ``camera_worker`` and ``_spawn``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Coroutine
from typing import TYPE_CHECKING, Any

from kiosk.i18n import _

if TYPE_CHECKING:
    from kiosk.model import KioskModel
    from kiosk.vm.navigator import Navigator, RunBlocking

log = logging.getLogger(__name__)
GATE_SCREEN = "camera_setup"  # the same screen as Settings' camera check


class CameraGate:
    model: KioskModel
    nav: Navigator
    run_blocking: RunBlocking
    current: str
    camera_worker: Any
    _gate_worker: Any = None  # the worker of the set-up shown as a gate (not Settings')

    if TYPE_CHECKING:  # KioskFlow's (declared here only for the type checker)
        def go(self, name: str) -> None: ...
        def begin_set(self) -> None: ...
        def close_camera_setup(self) -> None: ...
        def _spawn(self, aw: Awaitable[Any] | Coroutine[Any, Any, Any]) -> asyncio.Future[Any]:
            ...

    def camera_gate(self) -> bool:
        """Before a camera exercise's first set on the camera: show its set-up instead of
        starting the set (True). False when no gate is due (or no camera opens: the set's
        own opening then says so where the patient is)."""
        from kiosk.adapters.camera import NoCamera
        from kiosk.camera_setup_vm import CameraSetupVM
        from kiosk.vm.flow import CAMERA_READY

        run = self.model.run
        if run is None or run.set_running or not run.camera_first:
            return False
        joint = run.camera_joint
        if joint is None:
            return False
        try:
            worker = self.model.camera()
        except NoCamera as exc:
            log.warning("camera set-up before %s skipped: %s", run.ex.exercise_id, exc)
            return False
        self.camera_worker = self._gate_worker = worker
        vm = CameraSetupVM(joint, run.ex.exercise_id, ready_message=_(CAMERA_READY))
        self.current = GATE_SCREEN
        self.nav.show_camera(worker, vm)
        return True

    def _gating(self) -> bool:
        return self._gate_worker is not None and self.camera_worker is self._gate_worker

    def gate_passed(self) -> bool:
        """Done on a gate's set-up: the set starts, reading the set-up's pose worker
        (True); False when the set-up shown is not a gate (Settings' check)."""
        if not self._gating():
            return False
        worker, self.camera_worker, self._gate_worker = self.camera_worker, None, None
        self.nav.close_camera()
        run = self.model.run
        if run is None:
            self._spawn(self.run_blocking(worker.stop))
            self.go("today")
            return True
        run.camera_checked = True
        self.model.hand_camera(worker)  # the set's camera source takes this worker
        self.begin_set()
        left = self.model.hand_camera(None)  # not taken: the set did not open
        if left is not None:
            self._spawn(self.run_blocking(left.stop))
        return True

    def camera_setup_back(self) -> None:
        """Back on the camera set-up: to the instruction before a gated set, else (Settings'
        check) as Done."""
        if self._gating():
            self._gate_worker = None
            self.go("instruction")  # leaving the screen stops the worker
            return
        self.close_camera_setup()
