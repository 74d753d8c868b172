"""The camera exercise's set-up gate in the Kivy-free flow tests: a paced live-camera
stand-in, the fake navigator keeping the set-up's view-model, and passing the gate as the
patient does (Done once the set-up sees them well)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from fake_navigator import Screens
from flow_helpers import until
from kiosk.vm.flow import KioskFlow
from tests.helpers.camera_synth import H, W


class GateScreens(Screens):
    """The fake navigator, keeping the camera set-up's view-model too."""

    vm: Any = None

    def show_camera(self, worker: Any, vm: Any) -> None:
        super().show_camera(worker, vm)
        self.vm = vm


class PacedFrames:
    """A live camera stand-in: a small grey frame every 1/fps real seconds, stamped with
    ``clock`` (the host clock the wearables use, so the two can be fused)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, fps: float = 30.0) -> None:
        self.fps, self._clock = fps, clock
        self._next = time.monotonic()
        self._image = np.full((H // 4, W // 4, 3), 128, np.uint8)
        self.closed = False

    def read(self) -> tuple[float, np.ndarray] | None:
        if self.closed:
            return None
        self._next += 1.0 / self.fps
        time.sleep(max(0.0, self._next - time.monotonic()))
        return self._clock(), self._image

    def close(self) -> None:
        self.closed = True


async def pass_gate(flow: KioskFlow) -> Any:
    """On the camera set-up gate: wait until it sees the patient well (what enables Done),
    then Done; returns the set-up's pose worker (the set reads it)."""
    nav = flow.nav
    assert isinstance(nav, GateScreens) and flow.current == "camera_setup", flow.current
    worker = nav.camera

    def ready() -> bool:
        got = worker.latest()
        return got is not None and nav.vm.update(got.t_s, got.pose).ready

    await until(ready, 10, "the camera set-up to see the patient well", lambda: None)
    flow.close_camera_setup()  # Done
    return worker
