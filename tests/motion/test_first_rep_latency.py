"""The first rep of a kiosk set comes out soon after its end (issue 11), and the rest stays
uncounted: the ROM prescribed, fed 10 samples at a time as the kiosk does
(bench/accuracy_kiosk.py, the rows python -m bench.accuracy prints).

Latencies are in data time (when the rep left ``feed`` against when it ended), not wall
clock. The floors are today's figures: raise them, never lower them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.accuracy import FIDGET_SEEDS, SET_EXERCISES, SET_REPS
from bench.accuracy_kiosk import fidget_kiosk, rest_then_set_kiosk, uci_kiosk
from bench.datasets import UCI_REPS, uci_subjects
from motion.pipeline import SetAnalyzer
from sensors.sim.fidget import rest_then_set
from therapy.catalogue import CATALOGUE

UCI_FIRST_OUT_MEDIAN_MAX_S = 0.5  # issue 11's target (3.3 s while the axis waited for three
#                                   strokes)
UCI_EXACT_MIN = 15 / 16  # of the sessions (15 of s1-s2's 16, as before the change)
SET_FIRST_OUT_MAX_S = 0.5  # simulated sets after a fidgeting rest (median 4.1 s before)
SET_EXACT_MIN = 15  # of 16 (seed 7 counts a lift of the rest, as before the change)
FIDGET_ZERO_MIN = 11  # of 16 fidgeting minutes with ROM 90° count 0 (as before the change)


def test_uci_first_rep_out_soon_and_counts_kept(shared_data: Path):
    """Every UCI-PT subject found (held-out ones dropped in beside s1-s2 too)."""
    root = shared_data / "uci-pt"
    subjects = uci_subjects(root)
    delays, counts = uci_kiosk(root)
    assert len(delays) == len(counts) == 8 * len(subjects), subjects
    assert float(np.median(delays)) <= UCI_FIRST_OUT_MEDIAN_MAX_S + 1e-9, sorted(delays)
    assert sum(c == UCI_REPS for c in counts) / len(counts) >= UCI_EXACT_MIN, counts


def test_set_after_a_rest_first_rep_out_soon_and_rest_uncounted():
    counts, delays = rest_then_set_kiosk(FIDGET_SEEDS, SET_EXERCISES, SET_REPS)
    assert len(delays) == FIDGET_SEEDS
    assert max(delays) <= SET_FIRST_OUT_MAX_S, delays
    assert sum(c == SET_REPS for c in counts) >= SET_EXACT_MIN, counts
    fidget = fidget_kiosk(FIDGET_SEEDS)
    assert sum(c == 0 for c in fidget) >= FIDGET_ZERO_MIN, fidget


def test_reach_lock_gives_the_same_reps_in_any_chunks():
    ex = CATALOGUE[SET_EXERCISES[4 % len(SET_EXERCISES)]]
    ch = rest_then_set(4, ex.id, SET_REPS)

    def reps(size: int):
        an = SetAnalyzer(50.0, lifts=ex.lifts, target_rom_deg=ex.target_rom_deg)
        out = [r for part in ch.split(size) for r in an.feed(part)] + an.finish()
        assert an._angle.axis.how_.startswith("reach")
        return out

    ref = reps(1000)
    assert len(ref) == SET_REPS
    for size in (1, 7, 64):
        got = reps(size)
        assert len(got) == len(ref), size
        for g, w in zip(got, ref):
            assert g.flags == w.flags, size
            for name in ("t_start", "t_peak", "t_end", "t_detected", "rom_deg", "hold_s"):
                assert getattr(g, name) == pytest.approx(getattr(w, name), abs=1e-9), name
