"""A camera set's task cancelled as a frame arrives stops (sensors/camera/worker_source.py).

On Python 3.11 ``asyncio.wait_for`` returns an item that arrives in the same loop turn as the
task's cancellation and drops the cancellation; the source's read loop then went on reading
the camera, and the kiosk closing mid-set waited for it for ever (found by bench.kiosk's
camera-wired runs: 6 of 9 hung at exit)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from sensors.camera.angles import CameraJoint
from sensors.camera.stream import CameraAngleStream
from sensors.camera.worker_source import WorkerAngleSource


class Worker:
    """A started worker that never stops by itself (a live camera)."""

    def __init__(self) -> None:
        self.source = SimpleNamespace(fps=30.0)
        self.on_result = None
        self.error_ = None
        self.running = True

    def latest(self) -> None:
        return None

    def stop(self, timeout_s: float | None = None) -> None:
        self.running = False


async def test_cancelled_as_a_frame_arrives_the_read_stops() -> None:
    src = WorkerAngleSource(Worker(), CameraAngleStream(CameraJoint.KNEE_RIGHT))

    async def read_for_ever() -> int:
        n = 0
        async for _ in src:
            n += 1
        return n

    task = asyncio.ensure_future(read_for_ever())
    await asyncio.sleep(0.05)  # the task waits in the source for a frame
    assert src._queue is not None
    src._queue.put_nowait((1.0, None))  # a frame (no one in it) arrives ...
    task.cancel()  # ... in the same turn as the cancellation
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 2.0)
    await src.aclose()
