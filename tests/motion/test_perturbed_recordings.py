"""The real recordings changed as another subject or device would change them
(bench/perturb.py): the counts must not move.

- A sensor worn turned by any fixed rotation is the same movement: the motion core works
  from the gyro's principal axis and gravity, so the count is the same to the rep.
- A gyro's turn-on bias (0.5°/s) and another device's rate (half the UCI-PT's 25 Hz would
  be too coarse; SPAR's 50 Hz halved is 25 Hz, UCI-PT's doubled is 50 Hz) must not move a
  count either.

The sessions are a spread of exercises, sites and subjects; bench.perturb runs them all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.datasets import REAL_CHUNK, uci_recording
from bench.perturb import double_rate, gyro_bias, half_rate, rotated
from motion.run import run_set
from sensors.replay import load_recording
from sensors.replay.labels import uci_lifts

UCI = ("s1/e2", "s1/e7", "s2/e3", "s2/e6")  # trunk bend, shoulder, leg raise, elbow
SPAR = ("s01_ABD_L", "s02_ER_R", "s03_TRAP_R")


def _uci(shared_data: Path, name: str, change, seed: int) -> int:
    folder = shared_data / "uci-pt" / name
    rec = uci_recording(folder)
    chunk, rate = change(rec.chunk, rec.rate_hz, seed)
    return len(run_set(chunk, rate, chunk_size=REAL_CHUNK, lifts=bool(uci_lifts(folder))).reps_)


def _spar(shared_data: Path, name: str, change, seed: int) -> int:
    rec = load_recording(shared_data / "spar" / f"{name}.csv.gz")
    chunk, rate = change(rec.chunk, rec.rate_hz, seed)
    return len(run_set(chunk, rate, chunk_size=REAL_CHUNK).reps_)


@pytest.mark.parametrize("name", UCI)
def test_uci_sessions_count_30_however_the_sensor_is_turned_or_biased(shared_data: Path,
                                                                     name: str) -> None:
    counts = [_uci(shared_data, name, change, seed)
              for change in (rotated, gyro_bias) for seed in (0, 1)]
    counts.append(_uci(shared_data, name, double_rate, 0))
    assert counts == [30] * 5


@pytest.mark.parametrize("name", SPAR)
def test_spar_sets_count_the_same_however_the_sensor_is_turned(shared_data: Path,
                                                               name: str) -> None:
    as_recorded = _spar(shared_data, name, lambda c, r, s: (c, r), 0)
    assert abs(as_recorded - 20) <= 1
    assert [_spar(shared_data, name, rotated, seed) for seed in (0, 1, 2)] == [as_recorded] * 3
    assert abs(_spar(shared_data, name, half_rate, 0) - 20) <= 1
