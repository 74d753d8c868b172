"""Values the motion core emits: repetitions and their quality flags."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class QualityFlag(StrEnum):
    """Execution-quality flags. The values reach payloads and the UI: never rename them."""

    TOO_FAST = "too_fast"
    SHORT_HOLD = "short_hold"
    INCOMPLETE_ROM = "incomplete_rom"
    GAP = "gap"  # the rep spans a gap in the data longer than 1 s


@dataclass(frozen=True, slots=True)
class Rep:
    """One repetition, emitted once and never changed.

    Times are on the stream's clock in seconds (replay: from the file's first sample).
    ``rom_deg`` is the excursion from the angle at ``t_start`` to the top of the rep;
    ``hold_s`` the time spent near the top; ``up_s``/``down_s`` the tempo of the two
    halves; ``t_detected`` the time of the sample at which the rep was confirmed.
    """

    n: int
    t_start: float
    t_peak: float
    t_end: float
    t_detected: float
    rom_deg: float
    hold_s: float
    up_s: float
    down_s: float
    peak_deg: float
    flags: tuple[QualityFlag, ...] = ()
    gap_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_json(self, t0: float = 0.0) -> dict[str, Any]:
        """The documented JSON shape of one rep (``rehab replay --json``)."""
        return {
            "n": self.n,
            "t_start": round(self.t_start - t0, 3),
            "t_peak": round(self.t_peak - t0, 3),
            "t_end": round(self.t_end - t0, 3),
            "t_detected": round(self.t_detected - t0, 3),
            "rom_deg": round(self.rom_deg, 2),
            "hold_s": round(self.hold_s, 2),
            "up_s": round(self.up_s, 2),
            "down_s": round(self.down_s, 2),
            "flags": [str(f) for f in self.flags],
        }
