"""A fidgeting rest, then a set of a SMALL-ROM exercise, fed as the kiosk feeds.

bench.accuracy's own rest-then-set row uses large-ROM exercises only. With a ROM prescribed
one rep of ``reach_frac`` (70 %) of it locks the one-IMU axis (:mod:`motion.axis_lock`);
for a prescribed ROM of 20-40° that is 14-28°, which a lift of the arm during the rest
(8-80°) reaches too. This row measures the sets of the catalogue exercises that prescribe
at most ``SMALL_ROM_DEG``: seed ``s`` runs ``SMALL[s % len(SMALL)]`` after
:func:`sensors.sim.fidget.rest_then_set`'s rest, the exercise's ROM prescribed, 10 samples a
chunk (:func:`bench.accuracy_kiosk.feed_as_kiosk`), and the first rep's delay after its
end as in :func:`bench.accuracy_kiosk.rest_then_set_kiosk`.

``python -m bench.accuracy_rest_small`` prints the row for seeds 0-47 and the held-out seeds
48-95; ``--diag`` adds, per seed, how and when the axis locked (seconds after the set's
start, negative: during the rest) and its angle to the simulator's true axis.
"""

from __future__ import annotations

import argparse

import numpy as np

from bench.accuracy_kiosk import KIOSK_CHUNK, RestSetCase, rest_set_case, rest_then_set_kiosk
from motion.pipeline import SetAnalyzer
from therapy.catalogue import CATALOGUE

SMALL_ROM_DEG = 40.0
SMALL = tuple(ex_id for ex_id, ex in CATALOGUE.items()
              if ex.target_rom_deg is not None and ex.target_rom_deg <= SMALL_ROM_DEG)
REPS = 10
SEEDS = range(0, 48)
HELD_OUT = range(48, 96)
MATCH_S = 1.5  # a counted rep is a true one if their ends lie this close


def case(seed: int, exercises: tuple[str, ...] = SMALL, reps: int = REPS) -> RestSetCase:
    """Seed ``seed``'s rest and set, as ``rest_then_set_kiosk`` makes them."""
    return rest_set_case(seed, exercises, reps)


def rest_small(seeds: range, exercises: tuple[str, ...] = SMALL, reps: int = REPS
               ) -> tuple[list[int], list[float]]:
    """Reps counted per seed, and the first rep's delay after its true end."""
    return rest_then_set_kiosk(seeds, exercises, reps)


def breakdown(seeds: range, exercises: tuple[str, ...] = SMALL, reps: int = REPS
              ) -> tuple[int, int, int, int]:
    """Where the counts come from, on the simulator's truth: sets whose ``reps`` reps each
    counted once and nothing else, the set's reps counted (a rep whose end lies within
    ``MATCH_S`` of a true rep's end), reps counted during the rest (ending before the
    set's start), and other reps counted during the set."""
    clean = found = rest = extra = 0
    for seed in seeds:
        c = case(seed, exercises, reps)
        ex = CATALOGUE[c.ex_id]
        ends = np.array(c.rep_ends_s)
        kiosk = SetAnalyzer(50.0, lifts=ex.lifts, target_rom_deg=ex.target_rom_deg)
        got = [r for part in c.chunk.split(KIOSK_CHUNK) for r in kiosk.feed(part)]
        got += kiosk.finish()
        before = [r for r in got if r.t_end < c.set_start_s]
        during = np.array([r.t_end for r in got if r.t_end >= c.set_start_s])
        hit = sum(bool(during.size) and float(np.min(np.abs(during - e))) <= MATCH_S
                  for e in ends)
        others = sum(float(np.min(np.abs(ends - t))) > MATCH_S for t in during)
        found += hit
        rest += len(before)
        extra += others
        clean += hit == reps and not before and not others and len(during) == reps
    return clean, found, rest, extra


def diagnose(seed: int, exercises: tuple[str, ...] = SMALL, reps: int = REPS) -> str:
    """One seed: count, how and when the axis locked, its angle to the true axis."""
    ex_id, chunk, set_start, _, truth = case(seed, exercises, reps)
    ex = CATALOGUE[ex_id]
    kiosk = SetAnalyzer(50.0, lifts=ex.lifts, target_rom_deg=ex.target_rom_deg)
    count = 0
    locks: list[str] = []
    seen = None
    for part in chunk.split(KIOSK_CHUNK):
        count += len(kiosk.feed(part))
        lock = kiosk._angle.axis  # type: ignore[union-attr]
        key = (lock.how_, None if lock.axis_ is None else tuple(lock.axis_))
        if lock.axis_ is not None and key != seen:
            seen = key
            err = np.degrees(np.arccos(min(1.0, abs(float(lock.axis_ @ truth)))))
            locks.append(f"{lock.how_}@{float(part.t_s[-1]) - set_start:+.1f}s "
                         f"{err:.0f}°")
    count += len(kiosk.finish())
    return (f"seed {seed:2d} {ex_id:28s} ROM {ex.target_rom_deg:3.0f} count {count:2d}  "
            + ", ".join(locks))


def _line(name: str, counts: list[int], delays: list[float], reps: int) -> str:
    exact = sum(c == reps for c in counts)
    out = f"{name}: {exact}/{len(counts)} count {reps} (counts {counts})"
    if delays:
        out += (f"; first rep out median {np.median(delays):.2f} s, "
                f"max {max(delays):.2f} s")
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--diag", action="store_true", help="per seed: the lock and its error")
    p.add_argument("--no-held-out", action="store_true", help="seeds 0-47 only")
    args = p.parse_args()
    print(f"small-ROM exercises (ROM <= {SMALL_ROM_DEG:g}°): {', '.join(SMALL)}")
    groups = [("seeds 0-47", SEEDS)] + ([] if args.no_held_out
                                        else [("held-out seeds 48-95", HELD_OUT)])
    for name, seeds in groups:
        counts, delays = rest_small(seeds)
        print(_line(f"rest, kiosk: fidgeting rest, then a small-ROM set of {REPS}, the "
                    f"exercise's ROM prescribed, {name}", counts, delays, REPS))
        clean, found, rest, extra = breakdown(seeds)
        print(f"  of which: {clean}/{len(seeds)} sets count each true rep once and nothing "
              f"else; true reps counted {found}/{len(seeds) * REPS}; reps counted in the "
              f"rest {rest}; other reps in the set {extra}")
        if args.diag:
            for seed in seeds:
                print("  " + diagnose(seed))


if __name__ == "__main__":
    main()
