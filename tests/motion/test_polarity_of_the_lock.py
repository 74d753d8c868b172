"""The angle's sign from the lift evidence of the movement that locked the axis, on its own
lever arm (motion/angle.py, ``SegmentAngle._undecided``).

Which way lifts the segment comes from where the sensor sits relative to the centre of
rotation (motion/lever.py). Fitted over everything held, a fidgeting rest before the set
(turns about the wrist, the elbow, a shift of weight) pulled that fit off the set's centre,
and some sets were measured upside down: each rep a dip, the rests between them counted
instead, every true rep missed (bench.accuracy_rest_small's case; the seeds here are from
neither of its ranges).
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.accuracy_kiosk import KIOSK_CHUNK
from bench.accuracy_rest_small import MATCH_S, case
from motion.pipeline import SetAnalyzer
from therapy.catalogue import CATALOGUE


def _kiosk(seed: int, chunk_n: int = KIOSK_CHUNK):
    c = case(seed)
    ex = CATALOGUE[c.ex_id]
    kiosk = SetAnalyzer(50.0, lifts=ex.lifts, target_rom_deg=ex.target_rom_deg)
    reps = [r for part in c.chunk.split(chunk_n) for r in kiosk.feed(part)]
    return kiosk, reps + kiosk.finish(), c


# Before: 173 trunk flexion seated, 178 prone hip extension, each with every true rep missed.
@pytest.mark.parametrize("seed", [173, 178])
def test_after_a_fidgeting_rest_the_set_is_measured_the_right_way_up(seed: int):
    kiosk, reps, c = _kiosk(seed)
    assert kiosk._angle.polarity.how_ == "lift-of-lock"
    ends = np.array(c.rep_ends_s)
    in_set = [r for r in reps if r.t_end > c.set_start_s]
    # Every true rep counted once, at its own end (upside down, the count came from the
    # rests between the reps: none ended within MATCH_S of a true end).
    found = sorted(int(np.argmin(np.abs(ends - r.t_end))) for r in in_set
                   if float(np.min(np.abs(ends - r.t_end))) <= MATCH_S)
    assert found == list(range(len(ends)))
    # And measured as lifts of about the prescribed ROM, not as the dips between them.
    rom = CATALOGUE[c.ex_id].target_rom_deg
    assert np.median([r.rom_deg for r in in_set]) > 0.7 * rom


def test_the_sign_does_not_depend_on_how_the_stream_is_chunked():
    a, reps_a, _ = _kiosk(178, 10)
    b, reps_b, _ = _kiosk(178, 37)
    assert a._angle.polarity.sign == b._angle.polarity.sign
    assert [round(r.t_end, 6) for r in reps_a] == [round(r.t_end, 6) for r in reps_b]
