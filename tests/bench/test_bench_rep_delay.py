"""bench.rep_delay splits each rep's delay from the simulator's true end into the
detector's lag, the transport, the wait to be fed, the count and the UI (issue 15, fused rep
delay): a simulated set through the motion core's real detector, with a hand-set clock
that charges each stage a known time, gives those times back rep by rep."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from bench.rep_delay import RepDelayProbe
from motion.pipeline import SetAnalyzer
from sensors.sim import SimConfig, simulate

RADIO_S, WAIT_S, COUNT_S, UI_S = 0.030, 0.011, 0.002, 0.016
MOTION_T0 = 100.0  # host time the limb's motion started (the simulated stream starts at 0)


@dataclass
class HandClock:
    t: float = 0.0

    def now(self) -> float:
        return self.t


@dataclass
class Link:
    queue: Any = field(default_factory=asyncio.Queue)


def run(probe: RepDelayProbe, clock: HandClock, sim: Any) -> list[tuple[float, Any]]:
    """The set as the kiosk runs it: each 10-sample batch queued RADIO_S after its newest
    sample, fed WAIT_S later, its REP events COUNT_S after that, the next frame UI_S on.
    Returns (last sample time of the confirming chunk, rep) per rep."""
    link = Link()
    probe.watch_link(link)
    analyzer = SetAnalyzer(sim.config.rate_hz)
    probe.watch_detector(analyzer)
    out = []
    for part in sim.distal.split(10):
        part = type(part)(part.t_s + MOTION_T0, part.accel_m_s2, part.gyro_rad_s)
        clock.t = float(part.t_s[-1]) + RADIO_S
        link.queue.put_nowait(part)
        clock.t += WAIT_S
        reps = analyzer.feed(link.queue.get_nowait())
        clock.t += COUNT_S
        for rep in reps:
            probe.on_event(SimpleNamespace(kind="rep", rep=rep))
            out.append((float(part.t_s[-1]), rep))
        clock.t += UI_S
        probe.on_flip()
    return out


def test_each_stage_is_charged_its_own_time() -> None:
    sim = simulate(SimConfig(exercise_id="knee_extension_seated", reps=4, seed=0,
                             two_segment=False, drop_prob=0.0))
    clock = HandClock()
    probe = RepDelayProbe(clock.now, [r.t_end for r in sim.truth.reps], MOTION_T0)
    got = run(probe, clock, sim)
    assert len(got) == len(sim.truth.reps) == len(probe.reps_) == 4
    for (last_t, rep), timing, true in zip(got, probe.reps_, sim.truth.reps):
        p = timing.parts()
        assert p["detect_s"] == pytest.approx(rep.t_detected - (MOTION_T0 + true.t_end))
        assert p["transport_s"] == pytest.approx(last_t - rep.t_detected + RADIO_S)
        assert p["wait_s"] == pytest.approx(WAIT_S)
        assert p["count_s"] == pytest.approx(COUNT_S)
        assert p["ui_s"] == pytest.approx(UI_S)
        parts = p["detect_s"] + p["transport_s"] + p["wait_s"] + p["count_s"]
        assert p["total_s"] == pytest.approx(parts)
        assert p["screen_s"] == pytest.approx(parts + UI_S)
        assert 0.0 <= last_t - rep.t_detected < 0.1  # the confirming sample is in that batch
    summary = probe.summary()
    assert summary["wait_s"] == pytest.approx(WAIT_S) and len(summary["reps"]) == 4
    assert summary["chunk_age_s"] == pytest.approx(RADIO_S)


def test_a_rep_with_no_true_rep_near_it_has_no_true_end() -> None:
    sim = simulate(SimConfig(exercise_id="knee_extension_seated", reps=4, seed=0,
                             two_segment=False, drop_prob=0.0))
    clock = HandClock()
    probe = RepDelayProbe(clock.now, [1000.0], MOTION_T0)  # no true rep anywhere near
    run(probe, clock, sim)
    assert len(probe.reps_) == 4
    assert all(t.parts()["total_s"] != t.parts()["total_s"] for t in probe.reps_)  # NaN
    assert all(t.parts()["wait_s"] == pytest.approx(WAIT_S) for t in probe.reps_)


def test_a_bridge_queue_passes_its_end_marker_and_failures_through_unrecorded() -> None:
    """A USB bridge's source queues an end marker and a failure besides its chunks: the
    probe hands every item on, in order, and times only the chunks."""
    sim = simulate(SimConfig(exercise_id="knee_extension_seated", reps=4, seed=0,
                             two_segment=False, drop_prob=0.0))
    clock = HandClock(5.0)
    probe = RepDelayProbe(clock.now, [], MOTION_T0)
    queue: asyncio.Queue[object] = asyncio.Queue()
    probe.watch_queue(queue)
    chunk, end, failure = next(sim.distal.split(10)), object(), OSError("unplugged")
    for item in (chunk, failure, end):
        queue.put_nowait(item)
    assert [queue.get_nowait() for _ in range(3)] == [chunk, failure, end]
    assert probe.chunk_age_s_ == [pytest.approx(5.0 - float(chunk.t_s[-1]))]
