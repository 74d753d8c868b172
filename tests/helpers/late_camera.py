"""A camera + wearable set whose camera frames come LATE, after the wearable's samples, as a
live pose worker's do (issue 15, fused rep delay): the simulated knee extension's wearable,
and camera angles of the same movement handed on only once the wearable is ``lag_s`` past
them. Returns what the tests judge: the events, the order of frames and events, the truth
and the stored record."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sensors.camera.stream import AngleChunk
from sensors.sim import SimConfig, sim_sources
from sensors.types import BodySegment, SourceInfo
from therapy.plan import exercise_from_catalogue
from therapy.ports import EventKind, FakeClock, FhirEncoder, SessionEvent
from therapy.session import SessionController
from therapy.store import TherapyStore


class Progress:
    """The wearable source, passing on its chunks and noting how far (data time) it got."""

    def __init__(self, source: Any) -> None:
        self.source = source
        self.info = source.info
        self.t_s = float("-inf")
        self.moved = asyncio.Event()

    async def __aiter__(self) -> AsyncIterator[Any]:
        async for chunk in self.source:
            self.t_s = float(chunk.t_s[-1])
            self.moved.set()
            yield chunk
        self.t_s = float("inf")
        self.moved.set()

    async def aclose(self) -> None:
        await self.source.aclose()


class LateCamera:
    """Camera angle samples (minus 90 deg: another zero than the wearable's), each frame
    given only once the wearable is ``lag_s`` past it; logs when each frame went out."""

    def __init__(self, t_s: np.ndarray, angle_deg: np.ndarray, wearable: Progress,
                 log: list[tuple[str, float]], fps: float, lag_s: float) -> None:
        self.info = SourceInfo("camera", BodySegment.UNKNOWN, fps, "camera")
        self.t_s, self.angle_deg, self.wearable, self.log = t_s, angle_deg, wearable, log
        self.lag_s = lag_s

    async def __aiter__(self) -> AsyncIterator[AngleChunk]:
        for t, a in zip(self.t_s, self.angle_deg):
            while self.wearable.t_s < t + self.lag_s:
                self.wearable.moved.clear()
                await self.wearable.moved.wait()
            self.log.append(("frame", float(t)))
            yield AngleChunk(np.array([t]), np.array([a]))

    async def aclose(self) -> None:
        pass


@dataclass
class LateCameraSet:
    reps: list[Any]
    record: Any
    events: list[SessionEvent]
    log: list[tuple[str, float]]  # ("frame", t) and (event kind, rep end) in the order seen
    truth: Any
    stored: list[tuple[Any, ...]]  # (n, source, rom_deg) of the reps table

    def of(self, kind: EventKind) -> list[SessionEvent]:
        return [e for e in self.events if e.kind == kind]

    def frames_before(self, kind: str, t_end: float) -> list[float]:
        """The frames handed on before the event ``kind`` of the rep ending at ``t_end``."""
        at = self.log.index((kind, t_end))
        return [t for k, t in self.log[:at] if k == "frame"]


async def run_late_camera_set(tmp_path: Path, *, fps: float, lag_s: float,
                              timeout_s: float) -> LateCameraSet:
    ex = exercise_from_catalogue("knee_extension_seated")
    distal, _prox = sim_sources(SimConfig("knee_extension_seated", reps=3, seed=0),
                                realtime=False)
    truth = distal.result.truth
    wearable = Progress(distal)
    t_cam = np.arange(truth.angle_t_s[0], truth.angle_t_s[-1], 1 / fps)
    cam = np.interp(t_cam, truth.angle_t_s, truth.angle_deg) - 90.0
    log: list[tuple[str, float]] = []
    store = TherapyStore(tmp_path / "rehab.db")
    ctl = SessionController(ex, sink=store, encoder=FhirEncoder("dev-1"), clock=FakeClock())
    events: list[SessionEvent] = []
    ctl.add_listener(events.append)
    ctl.add_listener(lambda ev: log.append((str(ev.kind), ev.rep.t_end if ev.rep else 0.0)))
    camera = LateCamera(t_cam, cam, wearable, log, fps, lag_s)
    reps = await asyncio.wait_for(ctl.run_set(wearable, camera=camera), timeout_s)  # type: ignore[arg-type]
    rec = ctl.finish()
    stored = store._query("SELECT n, source, rom_deg FROM reps WHERE session_id = ? "
                          "ORDER BY n", (rec.id,))
    store.close()
    return LateCameraSet(list(reps), rec, events, log, truth, list(stored))
