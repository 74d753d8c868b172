"""A camera + wearable set whose camera lags more than half a second (a pose model on a busy
core) neither holds the wearable's count nor loses the camera's ROM (issue 15, fused rep
delay): each rep is counted from the wearable's samples long before the camera's frames
of it come, and every rep is still measured with the camera (source ``camera``). With the
fusion's old 0.5 s wait the same set's reps were IMU-only and its wearable was held."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np

from motion.camera_fusion import MAX_WAIT_S, AngleSource
from sensors.camera.stream import AngleChunk
from sensors.sim import SimConfig, sim_sources
from sensors.types import BodySegment, SourceInfo
from therapy.plan import exercise_from_catalogue
from therapy.ports import EventKind, FakeClock, FhirEncoder, SessionEvent
from therapy.session import SessionController
from therapy.store import TherapyStore

CAM_FPS = 10.0  # the kiosk's pose rate cap
LAG_S = 1.2  # each frame reaches the set this long (data time) after the wearable's samples


class Progress:
    """The wearable source, noting how far (data time) the set has taken it."""

    def __init__(self, source: object) -> None:
        self.source = source
        self.info = source.info  # type: ignore[attr-defined]
        self.t_s = float("-inf")
        self.moved = asyncio.Event()

    async def __aiter__(self) -> AsyncIterator[object]:
        async for chunk in self.source:  # type: ignore[attr-defined]
            self.t_s = float(chunk.t_s[-1])
            self.moved.set()
            yield chunk
        self.t_s = float("inf")
        self.moved.set()

    async def aclose(self) -> None:
        await self.source.aclose()  # type: ignore[attr-defined]


class LaggingCamera:
    """Camera angles (another zero than the wearable's), each frame given only once the
    wearable is ``LAG_S`` past it; logs when each went out."""

    def __init__(self, t_s: np.ndarray, angle_deg: np.ndarray, wearable: Progress,
                 log: list[tuple[str, float]]) -> None:
        self.info = SourceInfo("camera", BodySegment.UNKNOWN, CAM_FPS, "camera")
        self.t_s, self.angle_deg, self.wearable, self.log = t_s, angle_deg, wearable, log

    async def __aiter__(self) -> AsyncIterator[AngleChunk]:
        for t, a in zip(self.t_s, self.angle_deg):
            while self.wearable.t_s < t + LAG_S:
                self.wearable.moved.clear()
                await self.wearable.moved.wait()
            self.log.append(("frame", float(t)))
            yield AngleChunk(np.array([t]), np.array([a]))

    async def aclose(self) -> None:
        pass


async def test_a_camera_late_by_more_than_half_a_second_is_fused_and_never_holds_the_count(
        tmp_path: Path) -> None:
    assert MAX_WAIT_S > LAG_S  # the lag this test is about is within the fusion's wait
    ex = exercise_from_catalogue("knee_extension_seated")
    distal, _prox = sim_sources(SimConfig("knee_extension_seated", reps=3, seed=0),
                                realtime=False)
    truth = distal.result.truth
    wearable = Progress(distal)
    t_cam = np.arange(truth.angle_t_s[0], truth.angle_t_s[-1], 1 / CAM_FPS)
    cam = np.interp(t_cam, truth.angle_t_s, truth.angle_deg) - 90.0
    log: list[tuple[str, float]] = []
    store = TherapyStore(tmp_path / "rehab.db")
    ctl = SessionController(ex, sink=store, encoder=FhirEncoder("dev-1"), clock=FakeClock())
    events: list[SessionEvent] = []
    ctl.add_listener(events.append)
    ctl.add_listener(lambda ev: log.append((str(ev.kind), ev.rep.t_end if ev.rep else 0.0)))
    reps = await asyncio.wait_for(ctl.run_set(
        wearable, camera=LaggingCamera(t_cam, cam, wearable, log)), 15)  # type: ignore[arg-type]
    rec = ctl.finish()
    store.close()
    assert len(reps) == len(truth.reps) == 3

    counted = [e for e in events if e.kind == EventKind.REP]
    measured = [e for e in events if e.kind == EventKind.REP_MEASURED]
    for ev in counted:  # counted while the camera was still more than a second behind
        rep = ev.rep
        assert rep is not None
        seen = [t for kind, t in log[:log.index(("rep", rep.t_end))] if kind == "frame"]
        assert max(seen, default=-1.0) < rep.t_detected - 1.0, (rep, max(seen))
    assert [e.extra["index"] for e in measured] == [0, 1, 2]
    assert [e.extra["source"] for e in measured] == [AngleSource.CAMERA] * 3
    assert [r.source for r in rec.reps] == ["camera"] * 3
    assert np.allclose([r.rom_deg for r in rec.reps], [r.rom_deg for r in truth.reps],
                       atol=8.0)
