"""A camera + wearable set whose camera lags more than half a second (a pose model on a busy
core) neither holds the wearable's count nor loses the camera's ROM (issue 15, fused rep
delay): each rep is counted from the wearable's samples long before the camera's frames
of it come, and every rep is still measured with the camera (source ``camera``). With the
fusion's old 0.5 s wait the same set's reps were IMU-only and its wearable was held."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tests.helpers.late_camera import run_late_camera_set

from motion.camera_fusion import MAX_WAIT_S, AngleSource
from therapy.ports import EventKind

CAM_FPS = 10.0  # the kiosk's pose rate cap
LAG_S = 1.2  # each frame reaches the set this long (data time) after the wearable's samples


async def test_a_camera_late_by_more_than_half_a_second_is_fused_and_never_holds_the_count(
        tmp_path: Path) -> None:
    assert MAX_WAIT_S > LAG_S  # the lag this test is about is within the fusion's wait
    run = await run_late_camera_set(tmp_path, fps=CAM_FPS, lag_s=LAG_S, timeout_s=15)
    rec, truth = run.record, run.truth
    assert len(run.reps) == len(truth.reps) == 3

    for ev in run.of(EventKind.REP):  # counted while the camera was still > 1 s behind
        rep = ev.rep
        assert rep is not None
        seen = run.frames_before("rep", rep.t_end)
        assert max(seen, default=-1.0) < rep.t_detected - 1.0, (rep, max(seen))
    measured = run.of(EventKind.REP_MEASURED)
    assert [e.extra["index"] for e in measured] == [0, 1, 2]
    assert [e.extra["source"] for e in measured] == [AngleSource.CAMERA] * 3
    assert [r.source for r in rec.reps] == ["camera"] * 3
    assert np.allclose([r.rom_deg for r in rec.reps], [r.rom_deg for r in truth.reps],
                       atol=8.0)
