"""A camera exercise whose camera is unplugged mid-set (its reads fail: ENODEV), through the
flow on the kiosk's own camera path (a real ``CameraWorker`` over a paced capture).

Before, the failed set left the session "running" with no set-ended event: with a set still
to do the live screen had no button at all (neither Pause/Stop nor Start next set/Finish
now) and said nothing, and the patient read "The sensors stopped: camera stopped: [Errno
19] No such device". Now the set ends with the reps done: the rest between sets (Start next
set, Finish now) with "The camera stopped, so the set ended with the reps done. Check that
it is plugged in." shown and said (not "Set done. Rest now."); plugged back in, the next set
runs and the session keeps both sets' reps. On the last set: pain after, then the summary,
as a set that ends does."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from camera_gate import (
    PacedFrames,
    SeatedPatient,
    camera_kiosk,
    camera_set_live,
    pain_after_to_record,
)
from flow_helpers import until
from kiosk.run import CAMERA_STOPPED

EX = "knee_extension_seated"
REPS = 2


class Cable:
    """The camera's USB cable: while unplugged every read fails as V4L2's does."""

    plugged = True


class Camera(PacedFrames):
    def read(self) -> tuple[float, np.ndarray] | None:
        if not Cable.plugged:
            raise OSError(19, "No such device")
        return super().read()


@asynccontextmanager
async def unplugged_after_one_rep(tmp: Path, sets: int) -> AsyncIterator[tuple[Any, ...]]:
    """A camera exercise of ``sets`` sets on the live screen, one rep done, then the cable
    pulled; yields (flow, model, run, patient); plugged back and closed on leaving."""
    Cable.plugged = True
    patient = SeatedPatient(REPS, period_s=3.0, lead_s=0.3)
    flow, model = camera_kiosk(tmp, patient, Camera)
    try:
        run = await camera_set_live(flow, model, EX, sets=sets, reps=REPS)
        patient.start = time.monotonic()
        await until(lambda: run.live.reps_in_set == 1, 15, "the first rep", flow.frame)
        Cable.plugged = False
        yield flow, model, run, patient
    finally:
        Cable.plugged = True
        model.close()


@pytest.mark.timeout(90)
async def test_unplugged_mid_set_the_set_ends_with_its_reps_and_the_next_one_runs(
        tmp_path: Path) -> None:
    async with unplugged_after_one_rep(tmp_path, sets=2) as (flow, model, run, patient):
        await until(lambda: not run.set_running, 10, "the set to end", flow.frame)
        flow.frame()
        assert flow.current == "live" and run.live.resting and not run.live.running
        assert run.error == CAMERA_STOPPED and run.more_sets
        spoken = flow.audio.spoken
        assert CAMERA_STOPPED in spoken and "Set done. Rest now." not in spoken
        # plugged back in: Start next set (the set-up gate was passed before the first)
        Cable.plugged = True
        patient.start = None
        flow.begin_set()
        assert flow.current == "live" and run.set_running, run.error
        await until(lambda: run.live.set_no == 2, 5, "set 2", flow.frame)
        patient.start = time.monotonic()
        await until(lambda: flow.current == "pain", 30, "set 2 to end at its target",
                    flow.frame)
        rec = await pain_after_to_record(flow, model, pain=1)
        assert rec.sets_done == 2
        assert [r.set_no for r in rec.reps] == [1, 2, 2]  # set 1's rep before the cable went


@pytest.mark.timeout(90)
async def test_unplugged_in_the_last_set_goes_on_to_pain_after_and_keeps_its_reps(
        tmp_path: Path) -> None:
    async with unplugged_after_one_rep(tmp_path, sets=1) as (flow, model, _run, _patient):
        await until(lambda: flow.current == "pain", 10, "pain after", flow.frame)
        assert CAMERA_STOPPED in flow.audio.spoken
        rec = await pain_after_to_record(flow, model)
        assert rec.rep_count == 1 and not rec.completed
