"""Scoring detected reps against labelled or simulated truth (benchmarks and tests).

Pure: lists in, numbers out. The UCI-PT labels give each execution's start and end and its
type (1 correct, 2 fast, 3 low amplitude); each label is matched one to one with the
nearest detected rep (by centre time, closest pairs first, at most ``MATCH_MAX_S`` apart:
a label with no rep near it counts as wrong), and the type a rep is given
comes from its flags: ``too_fast`` or ``short_hold`` -> fast, else ``incomplete_rom`` ->
low amplitude, else correct.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

from motion.types import QualityFlag, Rep

CORRECT, FAST, LOW_AMPLITUDE = 1, 2, 3
MATCH_MAX_S = 3.0


class Label(NamedTuple):
    """One labelled execution: times in seconds from the first sample."""

    start_s: float
    end_s: float
    kind: int


def execution_type(rep: Rep) -> int:
    flags = set(rep.flags)
    if QualityFlag.TOO_FAST in flags or QualityFlag.SHORT_HOLD in flags:
        return FAST
    if QualityFlag.INCOMPLETE_ROM in flags:
        return LOW_AMPLITUDE
    return CORRECT


def match_one_to_one(labels: Sequence[Label], reps: Sequence[Rep], t0_s: float = 0.0,
                     max_dist_s: float | None = MATCH_MAX_S) -> list[int | None]:
    """For each label, the index of its rep (or None), closest centre pairs first."""
    pairs = []
    for i, lab in enumerate(labels):
        lc = 0.5 * (lab.start_s + lab.end_s)
        for j, rep in enumerate(reps):
            rc = 0.5 * (rep.t_start + rep.t_end) - t0_s
            d = abs(lc - rc)
            if max_dist_s is None or d <= max_dist_s:
                pairs.append((d, i, j))
    pairs.sort()
    out: list[int | None] = [None] * len(labels)
    used: set[int] = set()
    for _, i, j in pairs:
        if out[i] is None and j not in used:
            out[i] = j
            used.add(j)
    return out


def type_accuracy(labels: Sequence[Label], reps: Sequence[Rep], t0_s: float = 0.0
                  ) -> tuple[int, int]:
    """(labels whose matched rep has the right type, labels)."""
    match = match_one_to_one(labels, reps, t0_s)
    right = sum(1 for lab, j in zip(labels, match)
                if j is not None and execution_type(reps[j]) == lab.kind)
    return right, len(labels)
