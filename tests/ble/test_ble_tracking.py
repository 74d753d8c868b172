"""Sequence bookkeeping, arrival stamping and set supervision (pure, no radio)."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.sequence import SAMPLE_SEQ_MOD, SeqTracker, Verdict
from sensors.link_events import LinkEvent, LinkEventKind
from sensors.set_supervision import ActionKind, SetGap, SetSupervisor
from sensors.ble.witmotion import ArrivalClock


def test_gap_duplicate_overlap_restart_and_wrap() -> None:
    tr = SeqTracker()
    tr.reset(0)
    assert tr.accept(0, 10) == (Verdict.NEW, 0)
    assert tr.accept(30, 10) == (Verdict.NEW, 0)  # 20 lost
    assert tr.accept(30, 10) == (Verdict.DUPLICATE, 10)
    assert tr.accept(35, 10) == (Verdict.NEW, 5)  # overlaps 5
    assert tr.accept(0, 10) == (Verdict.DUPLICATE, 10)  # 45 behind: a late repeat
    c = tr.counters
    assert (c.gaps, c.lost, c.duplicates, c.trimmed) == (1, 20, 2, 5)
    tr.reset(SAMPLE_SEQ_MOD - 5)
    assert tr.accept(SAMPLE_SEQ_MOD - 5, 10) == (Verdict.NEW, 0)
    assert tr.accept(5, 10) == (Verdict.NEW, 0)  # across the u32 wrap, nothing lost
    assert tr.counters.lost == 20


def test_a_jump_back_beyond_the_window_is_a_restart() -> None:
    tr = SeqTracker(restart_window=100)
    tr.reset(0)
    tr.accept(0, 10)
    tr.accept(500, 10)
    assert tr.accept(3, 10) == (Verdict.RESTART, 0)
    assert tr.counters.restarts == 1


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["send", "drop", "dup"]), st.integers(1, 18)),
                max_size=60))
def test_every_sample_is_delivered_at_most_once_and_losses_add_up(ops: list) -> None:
    tr = SeqTracker()
    tr.reset(0)
    seq, last = 0, None
    delivered: list[int] = []
    dropped = 0
    for op, n in ops:
        if op == "dup" and last is not None:
            verdict, skip = tr.accept(*last)
            assert verdict == Verdict.DUPLICATE
            continue
        if op == "drop":
            dropped += n
        else:
            verdict, skip = tr.accept(seq, n)
            delivered.extend(range(seq + skip, seq + n))
            last = (seq, n)
        seq += n
    assert delivered == sorted(set(delivered))  # once each, in order
    assert tr.counters.lost <= dropped
    if delivered:  # every sample before the last delivered one: delivered or counted lost
        assert tr.counters.lost == delivered[-1] + 1 - len(delivered)


def test_arrival_clock_keeps_the_grid_through_bursts_and_reports_gaps() -> None:
    clk = ArrivalClock(100.0)
    # notifications arrive in bursts of 3 every 30 ms (a 30 ms connection interval)
    stamps = [clk.stamp(0.03 * (i // 3)) for i in range(300)]
    steps = [b - a for a, b in itertools.pairwise(stamps)]
    assert min(steps) > 0.004 and abs(sum(steps) / len(steps) - 0.01) < 0.001
    assert clk.gaps_ == 0
    t = clk.stamp(stamps[-1] + 0.2)  # 20 samples never arrived
    assert clk.gaps_ == 1 and 18 <= clk.lost_ <= 20 and t > stamps[-1]


def _ev(kind: LinkEventKind, sensor: str, at: float, away: float = 0.0) -> LinkEvent:
    return LinkEvent(sensor, sensor, kind, at, "disconnected", away, 10)


def test_supervisor_pauses_once_resumes_when_all_are_back_and_records_gaps() -> None:
    sup = SetSupervisor(max_away_s=20.0)
    assert [a.kind for a in sup.on_event(_ev(LinkEventKind.LOST, "thigh", 5.0))] == \
        [ActionKind.PAUSE]
    assert sup.on_event(_ev(LinkEventKind.LOST, "shank", 6.0)) == []
    assert sup.on_event(_ev(LinkEventKind.BACK, "thigh", 8.0)) == []
    [resume] = sup.on_event(_ev(LinkEventKind.BACK, "shank", 9.0))
    assert resume.kind == ActionKind.RESUME
    assert sup.gaps_ == [SetGap("thigh", "thigh", 5.0, 8.0, "disconnected"),
                         SetGap("shank", "shank", 6.0, 9.0, "disconnected")]
    assert sup.check(100.0) == []


def test_supervisor_ends_the_set_when_a_wearable_stays_away() -> None:
    sup = SetSupervisor(max_away_s=10.0)
    sup.on_event(_ev(LinkEventKind.LOST, "thigh", 5.0))
    assert sup.check(14.0) == []
    [end] = sup.check(15.5)
    assert end.kind == ActionKind.END and "thigh sensor away for 10 s" in end.message
    assert sup.ended_ and sup.gaps_ == [SetGap("thigh", "thigh", 5.0, None, "disconnected")]
    assert sup.on_event(_ev(LinkEventKind.BACK, "thigh", 16.0)) == []
    [warn] = SetSupervisor().on_event(_ev(LinkEventKind.BATTERY_LOW, "shank", 1.0))
    assert warn.kind == ActionKind.WARN and "10 %" in warn.message
