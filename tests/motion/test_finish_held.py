"""The end of a stream releases the samples the angle still holds (motion/angle.py ``flush``,
SetAnalyzer.finish).

Small reps (here 20 % of a knee extension's prescribed 70°, 14° lifted slowly) may never
make strokes the axis lock trusts; after 30 s the held samples go out as the unsigned tilt
and count, but the last ~12 s stayed held when the stream ended: a set of 8 counted 5 in
replay and in the stored session (sit-to-stand at 20 %: 5, a bridge at 30 %: 4). Now, once
the set is counting, the end of the stream measures what is held with what is known. A
stream that counted nothing drops them as before: a fidgeting rest's last moves are not a
set.
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.accuracy_kiosk import KIOSK_CHUNK
from motion.angle import SegmentAngle
from motion.pipeline import SetAnalyzer
from sensors.sim import SimConfig, simulate
from sensors.sim.fidget import fidgeting_rest
from therapy.catalogue import CATALOGUE

RATE = 50.0


def _kiosk(chunk, ex_id: str | None, rom: float) -> tuple[list, list]:
    """(reps out of feed, reps out of finish), fed as the kiosk feeds."""
    lifts = CATALOGUE[ex_id].lifts if ex_id else True
    kiosk = SetAnalyzer(RATE, lifts=lifts, target_rom_deg=rom)
    live = []
    for part in chunk.split(KIOSK_CHUNK):
        live += kiosk.feed(part)
    return live, kiosk.finish()


@pytest.mark.parametrize(("ex_id", "seed"), [("knee_extension_seated", 0),
                                             ("sit_to_stand", 2), ("bridge", 2)])
def test_a_set_that_never_locked_counts_its_last_reps_at_the_end(ex_id: str, seed: int) -> None:
    ex = CATALOGUE[ex_id]
    assert ex.target_rom_deg is not None
    frac = 0.3 if ex_id == "bridge" else 0.2
    res = simulate(SimConfig(exercise_id=ex_id, reps=8, rate_hz=RATE, seed=seed,
                             mounting="random", rom_deg=frac * ex.target_rom_deg))
    live, last = _kiosk(res.distal, ex_id, ex.target_rom_deg)
    assert len(live) < 8 and len(live) + len(last) == 8  # the last ones were held at the end
    for rep, true in zip(live + last, res.truth.reps):
        assert abs(rep.t_end - true.t_end) < 1.0
        assert abs(rep.rom_deg - true.rom_deg) < 0.25 * true.rom_deg
    assert [r.n for r in live + last] == list(range(1, 9))


@pytest.mark.parametrize("seed", range(16))
def test_a_rest_that_counted_nothing_counts_nothing_at_the_end(seed: int) -> None:
    # Releasing the held samples of a rest at its end counted 2-3 reps in 5 of these 16.
    live, last = _kiosk(fidgeting_rest(seed), None, 90.0)
    assert live == [] and last == []


def test_flush_releases_every_held_sample_once() -> None:
    ex = CATALOGUE["knee_extension_seated"]
    res = simulate(SimConfig(exercise_id=ex.id, reps=8, rate_hz=RATE, seed=0,
                             mounting="random", rom_deg=0.2 * ex.target_rom_deg))
    from motion.pipeline import _Imu

    imu, angle = _Imu(RATE), SegmentAngle(RATE, lifts=ex.lifts,
                                          target_rom_deg=ex.target_rom_deg)
    out = []
    for part in res.distal.split(KIOSK_CHUNK):
        gyro, up = imu.up(part)
        out.append(angle.process(part.t_s, gyro, up, part.accel_m_s2)[0])
    assert angle.axis.axis_ is None  # never locked: the case this is about
    out.append(angle.flush()[0])
    t = np.concatenate(out)
    assert np.array_equal(t, res.distal.t_s)  # every sample once, in order
    assert angle.flush()[0].size == 0
