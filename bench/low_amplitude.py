"""UCI-PT's protocol simulated with its low-amplitude reps smaller than the recorded
subjects did them: ``python -m bench.low_amplitude`` (a row of ``bench.accuracy``).

Each recorded UCI-PT session is 10 correct reps, 10 fast, 10 low-amplitude; subjects 1 and
2 did the low-amplitude ones at 0.41-1.09 of their correct ROM (median per session; 0.33 the
smallest single rep). A held-out subject may go lower. The simulator does the protocol (hold
5 s, 25 Hz like the data set's units) on eight exercises, three seeds, with the
low-amplitude reps at a quarter and a fifth of the ROM, replayed without a ROM prescribed.
Reps under ``open_rom_deg`` (8°) are not counted by design (a set opens with nothing
smaller): the exercises whose fifth is smaller are listed with the count.
"""

from __future__ import annotations

from exercises import CATALOGUE
from motion.run import run_set
from sensors.sim import SimConfig, simulate

EXERCISES = ("straight_leg_raise", "hip_abduction_side_lying", "shoulder_abduction_standing",
             "elbow_flexion", "knee_extension_seated", "trunk_flexion_seated",
             "hip_extension_prone", "shoulder_flexion_standing")
KINDS = ("correct",) * 10 + ("fast",) * 10 + ("partial",) * 10
FRACS = (0.25, 0.2)
SEEDS = 3
RATE_HZ = 25.0
REPS = 30


def counts(frac: float) -> dict[str, list[int]]:
    """Reps counted per exercise (one per seed) with the low-amplitude reps at ``frac``."""
    out: dict[str, list[int]] = {}
    for ex in EXERCISES:
        out[ex] = []
        for seed in range(SEEDS):
            res = simulate(SimConfig(exercise_id=ex, reps=REPS, rate_hz=RATE_HZ, seed=seed,
                                     rep_kinds=KINDS, hold_s=5.0, partial_rom_factor=frac))
            an = run_set(res.distal, RATE_HZ, chunk_size=8, lifts=CATALOGUE[ex].lifts)
            out[ex].append(len(an.reps_))
    return out


def rows() -> list[tuple[str, str, str, bool | None]]:
    """bench.accuracy's summary lines: (figure, result, target, met)."""
    out: list[tuple[str, str, str, bool | None]] = []
    for frac in FRACS:
        c = counts(frac)
        exact = sum(n == REPS for v in c.values() for n in v)
        total = sum(len(v) for v in c.values())
        short = sorted(ex for ex, v in c.items() if any(n != REPS for n in v))
        out.append((f"UCI-PT protocol simulated, low-amplitude reps at {frac:.0%} of the ROM "
                     f"({len(EXERCISES)} exercises × {SEEDS} seeds, no ROM prescribed)",
                     f"{exact}/{total} count {REPS}" + (f"; short: {', '.join(short)}"
                                                         if short else ""),
                     f"count {REPS}", exact == total))
    return out


if __name__ == "__main__":
    for figure, result, target, _ in rows():
        print(f"{figure}: {result} (target {target})")
