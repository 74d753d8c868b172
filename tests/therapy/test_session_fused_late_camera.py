"""A camera + wearable set counts each rep when the wearable confirms it and fuses the
camera's ROM after (issue 15, fused rep delay): the camera's frames come LATE, after the
wearable's samples, as a live pose worker's do."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from motion.camera_fusion import AngleSource
from sensors.camera.stream import AngleChunk
from sensors.sim import SimConfig, sim_sources
from sensors.types import BodySegment, SourceInfo
from therapy.plan import exercise_from_catalogue
from therapy.ports import EventKind, FakeClock, FhirEncoder, SessionEvent
from therapy.session import SessionController
from therapy.store import TherapyStore

CAM_FPS = 30.0
LAG_S = 0.45  # the camera's frames reach the set this long (data time) after the wearable's


class Progress:
    """The wearable source, passing on its chunks and noting how far it got."""

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


class LateCamera:
    """Camera angle samples (minus 90 deg: another zero than the wearable's), each frame
    given only once the wearable is ``LAG_S`` past it. Logs when each frame went out."""

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


async def test_rep_counted_before_the_late_camera_frames_and_stored_with_fused_rom(
        tmp_path: Path) -> None:
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
    reps = await asyncio.wait_for(
        ctl.run_set(wearable, camera=LateCamera(t_cam, cam, wearable, log)), 60)  # type: ignore[arg-type]
    rec = ctl.finish()
    assert len(reps) == len(truth.reps) == 3

    counted = [e for e in events if e.kind == EventKind.REP]
    measured = [e for e in events if e.kind == EventKind.REP_MEASURED]
    assert [e.rep.n for e in counted] == [1, 2, 3]  # type: ignore[union-attr]
    assert [e.extra["index"] for e in measured] == [0, 1, 2]
    for ev in counted:  # the REP did not wait for the frames up to its detection sample
        # (the old path fed the wearable's chunk only once the camera had reached its end)
        rep = ev.rep
        assert rep is not None
        at = log.index(("rep", rep.t_end))
        seen = [t for kind, t in log[:at] if kind == "frame"]
        assert max(seen, default=-1.0) < rep.t_detected - 0.3, (rep, max(seen))
    for ev in measured:  # "rep measured" once the frames covering the rep came
        at = log.index(("rep_measured", ev.rep.t_end))  # type: ignore[union-attr]
        seen = [t for kind, t in log[:at] if kind == "frame"]
        assert max(seen) >= ev.rep.t_end  # type: ignore[union-attr]
        assert ev.extra["source"] == AngleSource.CAMERA

    # the stored reps: the counted reps with the fused ROM and its source
    assert [r.source for r in rec.reps] == ["camera"] * 3
    assert [r.rom_deg for r in rec.reps] == [round(e.rep.rom_deg, 2) for e in measured]  # type: ignore[union-attr]
    assert [r.n for r in rec.reps] == [e.rep.n for e in counted]  # type: ignore[union-attr]
    assert np.allclose([r.rom_deg for r in rec.reps], [r.rom_deg for r in truth.reps],
                       atol=8.0)
    rows = store._query("SELECT n, source, rom_deg FROM reps WHERE session_id = ? ORDER BY n",
                        (rec.id,))
    store.close()
    assert [(n, s) for n, s, _ in rows] == [(1, "camera"), (2, "camera"), (3, "camera")]
    assert [r for _, _, r in rows] == pytest.approx([r.rom_deg for r in rec.reps])
