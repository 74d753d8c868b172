"""A camera + wearable set counts each rep when the wearable confirms it and fuses the
camera's ROM after (issue 15, fused rep delay): the camera's frames come LATE, after the
wearable's samples, as a live pose worker's do."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.helpers.late_camera import run_late_camera_set

from motion.camera_fusion import AngleSource
from therapy.ports import EventKind

CAM_FPS = 30.0
LAG_S = 0.45  # the camera's frames reach the set this long (data time) after the wearable's


async def test_rep_counted_before_the_late_camera_frames_and_stored_with_fused_rom(
        tmp_path: Path) -> None:
    run = await run_late_camera_set(tmp_path, fps=CAM_FPS, lag_s=LAG_S, timeout_s=60)
    rec, truth = run.record, run.truth
    assert len(run.reps) == len(truth.reps) == 3

    counted, measured = run.of(EventKind.REP), run.of(EventKind.REP_MEASURED)
    assert [e.rep.n for e in counted] == [1, 2, 3]  # type: ignore[union-attr]
    assert [e.extra["index"] for e in measured] == [0, 1, 2]
    for ev in counted:  # the REP did not wait for the frames up to its detection sample
        # (the old path fed the wearable's chunk only once the camera had reached its end)
        rep = ev.rep
        assert rep is not None
        seen = run.frames_before("rep", rep.t_end)
        assert max(seen, default=-1.0) < rep.t_detected - 0.3, (rep, max(seen))
    for ev in measured:  # "rep measured" once the frames covering the rep came
        assert max(run.frames_before("rep_measured", ev.rep.t_end)) >= ev.rep.t_end  # type: ignore[union-attr]
        assert ev.extra["source"] == AngleSource.CAMERA

    # the stored reps: the counted reps with the fused ROM and its source
    assert [r.source for r in rec.reps] == ["camera"] * 3
    assert [r.rom_deg for r in rec.reps] == [round(e.rep.rom_deg, 2) for e in measured]  # type: ignore[union-attr]
    assert [r.n for r in rec.reps] == [e.rep.n for e in counted]  # type: ignore[union-attr]
    assert np.allclose([r.rom_deg for r in rec.reps], [r.rom_deg for r in truth.reps],
                       atol=8.0)
    assert [(n, s) for n, s, _ in run.stored] == [(1, "camera"), (2, "camera"), (3, "camera")]
    assert [r for _, _, r in run.stored] == pytest.approx([r.rom_deg for r in rec.reps])
