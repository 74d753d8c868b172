"""Execution-quality flags for each rep: ``too_fast``, ``short_hold``, ``incomplete_rom``.

Rule (also in the README):
- With a prescription, each rep is judged against it: ``incomplete_rom`` when the ROM is
  more than max(5°, 10 %) short of the target ROM; ``short_hold`` when the hold is more
  than max(0.5 s, 25 %) short of the target hold; ``too_fast`` when the rep moves faster
  than the prescribed tempo allows (ROM over up + down time above 1.5 x target ROM over
  the prescribed up + down time).
- Without one, the set calibrates from its own first ``calibration_reps`` reps (median
  of ROM, hold and movement time of the reps so far, frozen after the third): a rep is
  ``incomplete_rom`` below 80 % of the reference ROM, ``short_hold`` below 50 % of the
  reference hold (only when the reference hold is at least 1 s), ``too_fast`` when its
  mean angular speed (ROM / (up + down)) is over 1.5 x the reference. Speed, not time:
  a small rep takes less time without being rushed. The first rep sets the reference
  and is never flagged by it.
- ``gap``: the rep spans a hole in the data longer than ``gap_flag_s`` (1 s).
Flags are decided when the rep is emitted and never change.
"""

from __future__ import annotations

from dataclasses import dataclass

from motion.measure import RepShape
from motion.stats import median_of
from motion.types import QualityFlag


@dataclass(frozen=True, slots=True)
class QualityRules:
    calibration_reps: int = 3
    rom_frac: float = 0.8
    hold_frac: float = 0.5
    min_ref_hold_s: float = 1.0
    fast_ratio: float = 1.5
    target_rom_tol_frac: float = 0.10
    target_rom_tol_deg: float = 5.0
    target_hold_tol_frac: float = 0.25
    target_hold_tol_s: float = 0.5
    gap_flag_s: float = 1.0


def _speed(rep: RepShape) -> float:
    """Mean angular speed of the movement phases (°/s)."""
    return rep.rom_deg / max(rep.up_s + rep.down_s, 1e-3)


class QualityJudge:
    """Decides the flags of each rep in order; keeps the set's reference."""

    def __init__(
        self,
        *,
        target_rom_deg: float | None = None,
        target_hold_s: float | None = None,
        target_tempo_s: float | None = None,
        rules: QualityRules = QualityRules(),
    ) -> None:
        self.target_rom_deg = target_rom_deg
        self.target_hold_s = target_hold_s
        self.target_tempo_s = target_tempo_s
        self.rules = rules
        self._seen: list[RepShape] = []
        self.reference_: tuple[float, float, float] | None = None  # rom, hold, speed

    def judge(self, rep: RepShape) -> tuple[QualityFlag, ...]:
        r = self.rules
        if len(self._seen) < r.calibration_reps:
            self._seen.append(rep)
            self.reference_ = (
                median_of(s.rom_deg for s in self._seen),
                median_of(s.hold_s for s in self._seen),
                median_of(_speed(s) for s in self._seen),
            )
        ref_rom, ref_hold, ref_speed = self.reference_  # type: ignore[misc]
        flags: list[QualityFlag] = []
        if self.target_tempo_s is not None and self.target_rom_deg is not None:
            ref_speed = self.target_rom_deg / max(self.target_tempo_s, 1e-3)
        fast = _speed(rep) > r.fast_ratio * ref_speed
        if fast:
            flags.append(QualityFlag.TOO_FAST)
        if self.target_hold_s is not None:
            tol = max(r.target_hold_tol_s, r.target_hold_tol_frac * self.target_hold_s)
            short = self.target_hold_s > 0 and rep.hold_s < self.target_hold_s - tol
        else:
            short = ref_hold >= r.min_ref_hold_s and rep.hold_s < r.hold_frac * ref_hold
        if short:
            flags.append(QualityFlag.SHORT_HOLD)
        if self.target_rom_deg is not None:
            tol = max(r.target_rom_tol_deg, r.target_rom_tol_frac * self.target_rom_deg)
            low = rep.rom_deg < self.target_rom_deg - tol
        else:
            low = rep.rom_deg < r.rom_frac * ref_rom
        if low:
            flags.append(QualityFlag.INCOMPLETE_ROM)
        if rep.max_gap_s > r.gap_flag_s:
            flags.append(QualityFlag.GAP)
        return tuple(flags)
