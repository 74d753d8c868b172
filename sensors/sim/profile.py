"""The angle-time course of a simulated set: rep schedule, theta(t), wobble and sway.

Each rep: still rest -> minimum-jerk rise over ``up_s`` to ``rom_deg`` -> flat hold ->
minimum-jerk fall over ``down_s`` -> ``rest_s`` still. Minimum jerk keeps the angular
acceleration continuous, so the simulated linear acceleration has no steps. A rep rises
from its rest level (``start_deg``) and comes back to the next one (``end_deg``): the
same level every time unless ``SimConfig.rest_jitter`` moves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sensors.sim.config import FAST_TEMPO_FACTOR, RepKind, SimConfig
from sensors.sim.rotations import perpendicular_basis

SWAY_RAMP_S = 1.0  # proximal sway fades in over this long from the first rep's start
SWAY_FREQS_HZ = (0.08, 0.35)  # slow postural sway band
YAW_SWAY_FRACTION = 0.75  # sway about the vertical axis, relative to proximal_sway_deg
_JITTER_CLIP = (0.5, 1.6)


@dataclass(frozen=True, slots=True)
class RepTruth:
    """What the simulated patient actually did in one rep (times on the stream clock)."""

    n: int
    kind: RepKind
    t_start: float  # the rise begins
    t_peak: float  # middle of the hold
    t_end: float  # the fall ends
    rom_deg: float
    hold_s: float
    up_s: float
    down_s: float
    rest_s: float
    start_deg: float = 0.0  # the rest level it rises from (rom_deg is above this)
    end_deg: float = 0.0  # the rest level it comes back to

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "kind": str(self.kind),
            "t_start": round(self.t_start, 4),
            "t_peak": round(self.t_peak, 4),
            "t_end": round(self.t_end, 4),
            "rom_deg": round(self.rom_deg, 3),
            "hold_s": round(self.hold_s, 4),
            "up_s": round(self.up_s, 4),
            "down_s": round(self.down_s, 4),
            "rest_s": round(self.rest_s, 4),
        }


def plan_reps(cfg: SimConfig, rng: np.random.Generator,
              rest_rng: np.random.Generator | None = None) -> tuple[list[RepTruth], float]:
    """Draw each rep's ROM and tempo (from ``rng``) and, with ``cfg.rest_jitter``, the
    level each comes back to (from ``rest_rng``, a stream of its own: the rest of the set
    is the same with it or without); return the reps and the total duration (s)."""
    ex = cfg.exercise
    base_rom = cfg.rom_deg if cfg.rom_deg is not None else ex.target_rom_deg
    base = {
        "up": cfg.up_s if cfg.up_s is not None else ex.up_s,
        "hold": cfg.hold_s if cfg.hold_s is not None else ex.hold_s,
        "down": cfg.down_s if cfg.down_s is not None else ex.down_s,
        "rest": cfg.rest_s if cfg.rest_s is not None else ex.rest_s,
    }
    reps: list[RepTruth] = []
    t = cfg.t0_s + cfg.initial_still_s
    levels = np.zeros(cfg.reps + 1)  # the rest before each rep, and after the last
    if cfg.rest_jitter > 0.0:
        if rest_rng is None:
            raise ValueError("rest_jitter needs a rest_rng")
        levels[1:] = cfg.rest_jitter * base_rom * rest_rng.normal(size=cfg.reps)
    for n, kind in enumerate(cfg.kinds(), start=1):
        rom = base_rom * float(np.clip(1.0 + cfg.rom_jitter * rng.normal(), 0.6, 1.4))
        tempo = {
            k: v * float(np.clip(1.0 + cfg.tempo_jitter * rng.normal(), *_JITTER_CLIP))
            for k, v in base.items()
        }
        if kind is RepKind.FAST:
            tempo["up"] *= FAST_TEMPO_FACTOR
            tempo["down"] *= FAST_TEMPO_FACTOR
            tempo["hold"] = 0.0
        elif kind is RepKind.PARTIAL:
            rom *= cfg.partial_rom_factor
        up, hold, down = max(tempo["up"], 0.2), max(tempo["hold"], 0.0), max(tempo["down"], 0.2)
        rest = tempo["rest"] if n < cfg.reps else 0.0
        reps.append(
            RepTruth(n, kind, t, t + up + hold / 2.0, t + up + hold + down, rom, hold, up, down,
                     rest, float(levels[n - 1]), float(levels[n]))
        )
        t += up + hold + down + rest
    return reps, t + cfg.final_still_s - cfg.t0_s


def min_jerk(s: np.ndarray) -> np.ndarray:
    """Minimum-jerk blend 0 -> 1 for s in [0, 1] (zero velocity and acceleration at both ends)."""
    s = np.clip(s, 0.0, 1.0)
    return s**3 * (10.0 - 15.0 * s + 6.0 * s**2)


def theta_deg(t: np.ndarray, reps: list[RepTruth]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exercise angle (deg) at times ``t``; also the angle as a fraction of its rep's ROM
    (0..1) and the rep index (-1 before the first rep)."""
    t = np.asarray(t, float)
    starts = np.array([r.t_start for r in reps])
    idx = np.searchsorted(starts, t, side="right") - 1
    k = np.clip(idx, 0, len(reps) - 1)
    up = np.array([r.up_s for r in reps])[k]
    hold = np.array([r.hold_s for r in reps])[k]
    down = np.array([r.down_s for r in reps])[k]
    rom = np.array([r.rom_deg for r in reps])[k]
    level0 = np.array([r.start_deg for r in reps])[k]
    level1 = np.array([r.end_deg for r in reps])[k]
    tau = t - starts[k]
    # how far the fall has gone (0 before it, 1 at its end and in the rest after)
    fell = np.where(tau < up + hold, 0.0, min_jerk((tau - up - hold) / down))
    frac = np.where(
        tau < up,
        min_jerk(tau / up),
        np.where(tau < up + hold, 1.0, 1.0 - fell),
    )
    frac = np.where(idx < 0, 0.0, frac)
    base = np.where(idx < 0, level0, level0 + (level1 - level0) * fell)
    return base + rom * frac, frac, idx


def wobble_rotvec(
    frac: np.ndarray, idx: np.ndarray, coef: np.ndarray, move_axis: np.ndarray,
    wobble_deg: float,
) -> np.ndarray:
    """Small off-axis rotation (rotation vectors, rad, perpendicular to ``move_axis``).

    ``coef`` (n_reps, 4) are per-rep random weights (:func:`wobble_coefficients`). The
    wobble grows with the angle, differs per rep and bows out mid-movement, so the path is
    not planar; it is constant whenever the angle is (rest and hold stay still).
    """
    u, v = perpendicular_basis(move_axis)
    k = np.clip(idx, 0, coef.shape[0] - 1)
    a = coef[k, 0:1] * u + coef[k, 1:2] * v
    b = coef[k, 2:3] * u + coef[k, 3:4] * v
    f = frac[:, None]
    return np.deg2rad(wobble_deg) * (a * f + b * 4.0 * f * (1.0 - f))


def wobble_coefficients(n_reps: int, rng: np.random.Generator) -> np.ndarray:
    """Per-rep wobble weights, (n_reps, 4), so that the typical wobble is ~wobble_deg."""
    return rng.normal(scale=np.sqrt(0.5), size=(n_reps, 4))


class Sway:
    """Slow proximal sway (rad): about the proximal move axis and about vertical.

    Zero until the first rep starts, then fades in over ``SWAY_RAMP_S``; the peak of each
    component stays below its amplitude (sum of three sinusoids with weights summing to 1).
    """

    def __init__(self, amp_deg: float, t_on: float, rng: np.random.Generator) -> None:
        self.amp_rad = np.deg2rad(amp_deg)
        self.t_on = t_on
        self.freq_hz = rng.uniform(*SWAY_FREQS_HZ, size=(2, 3))
        self.phase = rng.uniform(0.0, 2.0 * np.pi, size=(2, 3))
        w = rng.uniform(0.3, 1.0, size=(2, 3))
        self.weight = w / w.sum(axis=1, keepdims=True)

    def angles(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(about the proximal move axis, about vertical), each (n,) in rad."""
        t = np.asarray(t, float)
        env = min_jerk((t - self.t_on) / SWAY_RAMP_S)
        waves = np.sin(2.0 * np.pi * self.freq_hz[:, :, None] * t + self.phase[:, :, None])
        comp = (self.weight[:, :, None] * waves).sum(axis=1) * env * self.amp_rad
        return comp[0], comp[1] * YAW_SWAY_FRACTION
