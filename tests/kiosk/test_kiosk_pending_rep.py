"""A first rep well short of the prescribed range counts only with a second alike one
(motion/reps.py: a lift of the arm in the rest is not a rep), which comes a rep's time
later, 7.6 s at the median. Meanwhile the live screen showed 0 as if the kiosk had missed
the rep. Now the analyzer tells it saw the rep (``pending_reps_``), and the live set says
once "Keep going: the count starts with your next rep"; both reps then count at once."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import numpy as np
import pytest
from tests.helpers.angle_reps import raised_cosine_reps
from tests.helpers.kiosk_runs import start_one_set

from kiosk.adapters.sources import SimSourceFactory
from kiosk.model import KioskModel
from motion.pipeline import SetAnalyzer

KEEP_GOING = "Keep going: the count starts with your next rep"


def test_the_analyzer_tells_a_rep_it_has_not_counted_yet() -> None:
    t, a = raised_cosine_reps([45.0, 46.0, 44.0], 50.0, rest_s=2.0)  # half of 90°
    kiosk = SetAnalyzer(50.0, target_rom_deg=90.0)
    seen = []
    for k in range(0, len(t), 10):
        counted = kiosk.feed_angle(t[k:k + 10], a[k:k + 10])
        seen.append((len(kiosk.reps_), kiosk.pending_reps_, len(counted)))
    assert (0, 1, 0) in seen  # the first rep ended, seen, not counted
    i = next(i for i, s in enumerate(seen) if s[0] == 2)
    assert seen[i] == (2, 0, 2)  # the second opened the set: both count at once
    assert kiosk.pending_reps_ == 0 and len(kiosk.reps_) == 3
    assert np.allclose([r.rom_deg for r in kiosk.reps_], [45.0, 46.0, 44.0], atol=2.0)


class HalfRangeSim(SimSourceFactory):
    """The simulated patient moves half the prescribed range."""

    def open(self, ex, set_no):  # type: ignore[no-untyped-def]
        return super().open(dataclasses.replace(ex, target_rom_deg=0.5 * ex.target_rom_deg),
                            set_no)


@pytest.mark.timeout(60)
async def test_the_live_set_says_keep_going_before_the_first_count(tmp_path: Path) -> None:
    m = KioskModel(tmp_path / "data", sources=HalfRangeSim(speed=10.0))
    run = start_one_set(m, reps=3)
    cues: list[tuple[str, int]] = []
    while not run.task.done():
        run.poll()
        if run.live.cue and (not cues or cues[-1][0] != run.live.cue):
            cues.append((run.live.cue, run.live.reps_in_set))
        await asyncio.sleep(0.005)
    await run.task
    run.poll()
    assert cues[0] == (KEEP_GOING, 0)  # told before anything counted
    assert [c for c, _ in cues].count(KEEP_GOING) == 1  # once a set
    assert run.live.speech.count(KEEP_GOING) == 1  # and said once (spoken cues)
    assert run.live.reps_total == 3
    m.close()
