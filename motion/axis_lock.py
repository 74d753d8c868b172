"""When to trust the movement's main axis: once the movement repeats.

Before a set, and between sets, nobody is still: a patient settles the leg, brings the
arm into the start position, lifts the arm to look at the watch, scratches. An axis
locked on one of those moves measures every later rep about the wrong axis. What tells
the exercise from them is that it repeats: the same turning, about the same axis, again
and again. So the lock waits for that.

**Strokes.** The gyro is cut into bursts of movement: runs of blocks of ``block_s`` in
which the sensor turns faster than ``move_deg_s`` on average; a slower block ends the
burst. A burst that turned at least ``min_turn_deg`` mostly about one axis (the principal
axis of its angular velocity holds ``min_dominance`` of it) is a stroke: the lift of a
rep, its lowering, a whole rep without a pause, or one move of a rest.

**The movement repeats** when the last ``repeats`` strokes, each begun within
``forget_s`` of the end of the one before, all turn within ``agree_deg`` of the axis of
their turning together (a lift of the arm out and back is two strokes; the lift, the
lowering and the next lift of a held rep are three; a stroke more than ``forget_s`` after
the last is the start of something new), or when a burst goes on for ``sustain_s``
without a pause (a continuous set; a circular pendulum, whose axis turns with the swing).

**The candidate axis** is found as before the movement had to repeat: two consecutive
windows of ``window_s`` turned at least ``WINDOW_TURN_DEG`` each, mostly about one axis,
and agree within ``WINDOW_AGREE_DEG``; or, if none has agreed after a wait, all the turning seen
(:meth:`take_all`, called by the angle tracker). It is what a set that starts at once
locks on; a rest turns it up too, on whatever moved first.

**The lock** comes once the movement repeats. Its axis is the candidate when the
candidate lies within ``agree_deg`` of the repeated movement's axis (the same movement),
and otherwise the repeated strokes' own axis: the candidate came from a move that did not
repeat. A sustained burst with no dominant axis (the pendulum) takes the candidate, and
waits for it.

**One rep, with a ROM prescribed** (the kiosk always prescribes one, and the patient has
just pressed Start): the last stroke, or the last two, or the open burst alone or after the
last stroke, lock at once if, about one axis (``min_dominance``, strokes within
``agree_deg``), they went out at least ``reach_frac`` of the ROM and came at least
``back_frac`` of the way back, and gravity saw that excursion too: the up vector tilted at
least ``reach_frac`` of the ROM from where the strokes began. That is a rep of the
prescribed size: the first rep comes out as soon as it ends instead of a rep and a half
later. A smaller move, one that does not come back (a new pose), turning about the vertical
(no tilt: an external rotation waits for the repeat) and any move with no ROM prescribed
wait for the movement to repeat as above.

**A reach gives way** to a movement that repeats. A small prescribed ROM makes the reach
small too (14-28° for 20-40°), and a lift of the arm during the rest before the set (to
look at the watch: 8-80°) reaches it as well: the axis locked on the lift, up to 90° from
the exercise's, and the whole set was measured about it (1-2 of 10 counted). So a lock
taken on one reach keeps cutting strokes, and once ``repeats`` strokes begun after it turn
about one axis (the rule above), the movement has shown its axis: within ``agree_deg`` of
the lock's, that confirms the lock for good; further from it, the axis re-locks on those
strokes (``how_`` "repeat-after-reach", :attr:`relocks_` counts it) and
:attr:`excursion_rad_` keeps the gyro's turn about the new axis at the far end of their
first excursion (the set begins from rest: that is its way out). Reps already counted
stay: the lift that locked counted as a rep, the set's first rep, measured about the
lift's axis, is usually lost, and the rep the re-lock falls in gets its start from the old
axis (its ROM is off).

**Any lock gives way to a movement that repeats far from it, until its own repeats.** A
rest can repeat too (a lift out and back and a scratch about the same axis, seconds
apart), and a lock taken on it, or a reach's lock re-locked on it, measured the whole set
64-88° off: 0-2 of 10 counted. So every lock keeps cutting strokes until ``repeats`` of
them begun after it turn about one axis. Within ``agree_deg`` of the lock's, its movement
has repeated: confirmed for good (a set confirms its lock with its next rep or two, after
which nothing else is followed). Further than ``far_deg`` (60°) from it, the lock sees
under half of what repeats (cos 60°): it was measuring another movement, and re-locks on
those strokes (``how_`` "repeat-far", :attr:`excursion_rad_` and :attr:`relocks_` as for
a reach), watched in turn. In between, neither: it keeps watching. A reach's lock gives way
already past ``agree_deg`` (above): one rep is weaker evidence than a repeat.

**Small reps, with a ROM prescribed.** ``move_deg_s`` and ``min_turn_deg`` are made for
sets of ordinary size; a small prescribed ROM lowers both to its scale, to at most
``move_frac_s`` and ``turn_frac`` of it: rehab patients often move less than prescribed, and
a rep at 40 % of an ankle's 20° lifted over the catalogue's 1-2 s turns 8° at 4-8°/s on
average, no stroke by the absolute figures, so the set never locked (its samples were held,
and most reps lost). A rep at 40 % of the ROM, lifted in at most 2 s, averages at least
``move_frac_s`` (0.2/s) of the ROM per second over its lift and turns 0.4 of it, above
``turn_frac`` (0.25); a burst keeps only its blocks above the speed, so the slowest of those
(8° over 1.5 s, the blocks cut in thirds) keeps 4.9° and waits for the next stroke. A still
sensor's gyro, bias corrected, averages 0.27°/s over a block (0.37 at most, simulated noise):
far below either. A ROM of 60° and more (40° for the turn) keeps the absolute figures.

Decisions are taken at whole blocks counted from the first sample (the caller closes
blocks), so they do not depend on how the stream is chunked. The whole angular velocity
counts, its vertical part included: an external rotation with a band turns the forearm
about the vertical, and that turning is the exercise (the caller then integrates the gyro
about the axis, as no tilt shows it).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from motion.axis import _principal

DEG_PER_RAD = 57.29577951308232
# The candidate's two windows (the lock's rule before it waited for a repeat): each turned
# at least WINDOW_TURN_DEG, and they agree within WINDOW_AGREE_DEG.
WINDOW_TURN_DEG = 15.0
WINDOW_AGREE_DEG = 15.0


def _total(covs: Iterable[np.ndarray]) -> np.ndarray:
    """The sum of 3x3 matrices, in order (as ``sum()`` would, typed)."""
    total = np.zeros((3, 3))
    for c in covs:
        total = total + c
    return total


class _Stroke(NamedTuple):
    cov: np.ndarray
    axis: np.ndarray
    first_block: int
    last_block: int
    spins: np.ndarray  # (blocks, 3): the gyro integrated over each block of the stroke, rad
    ups: np.ndarray  # (blocks + 1, 3): the up vector before the stroke and at each block's end


class RepeatAxisLock:
    """Per-block angular-velocity covariance; locks once the movement repeats (module doc)."""

    def __init__(self, rate_hz: float, *, block_s: float = 0.5, window_s: float = 2.0,
                 move_deg_s: float = 12.0, min_turn_deg: float = 10.0,
                 min_dominance: float = 0.6, agree_deg: float = 20.0, repeats: int = 3,
                 forget_s: float = 15.0, sustain_s: float = 6.0,
                 target_rom_deg: float | None = None, reach_frac: float = 0.7,
                 back_frac: float = 0.5, move_frac_s: float = 0.2,
                 turn_frac: float = 0.25, relock: bool = True, far_deg: float = 60.0) -> None:
        self.dt_s = 1.0 / float(rate_hz)
        self.reach_rad = (None if target_rom_deg is None or not target_rom_deg > 0
                          else reach_frac * target_rom_deg / DEG_PER_RAD)
        if self.reach_rad is not None and target_rom_deg is not None:
            # A small prescribed ROM: strokes on its scale (module doc, "Small reps").
            move_deg_s = min(move_deg_s, move_frac_s * target_rom_deg)
            min_turn_deg = min(min_turn_deg, turn_frac * target_rom_deg)
        self.back_frac = back_frac
        self.blocks_per_window = max(1, int(round(window_s / block_s)))
        self.block_turn_rad = move_deg_s * block_s / DEG_PER_RAD
        self.min_turn_rad = min_turn_deg / DEG_PER_RAD
        self.min_dominance = min_dominance
        self.cos_agree = float(np.cos(np.radians(agree_deg)))
        self.cos_far = float(np.cos(np.radians(far_deg)))
        self.cos_window = float(np.cos(np.radians(WINDOW_AGREE_DEG)))
        self.window_turn_rad = WINDOW_TURN_DEG / DEG_PER_RAD
        self.forget_blocks = int(round(forget_s / block_s))
        self.sustain_blocks = max(1, int(round(sustain_s / block_s)))
        self._windows: deque[tuple[np.ndarray, float]] = deque(
            maxlen=2 * self.blocks_per_window)
        self._strokes: deque[_Stroke] = deque(maxlen=max(1, repeats))
        self._cov = np.zeros((3, 3))  # the open block
        self._turned = 0.0
        self._spin = np.zeros(3)  # the open block's gyro, integrated
        self._burst_spins: list[np.ndarray] = []
        self._up: np.ndarray | None = None  # the last up vector added
        self._block_up: np.ndarray | None = None  # ... at the end of the last closed block
        self._burst_ups: list[np.ndarray | None] = []
        self._all_cov = np.zeros((3, 3))
        self._burst_cov = np.zeros((3, 3))  # the open burst
        self._burst_turned = 0.0
        self._burst_blocks = 0
        self._block = 0  # blocks closed so far
        self._chain_from: int | None = None  # first block of the strokes not forgotten
        self.turned_rad_ = 0.0  # all the turning seen before the lock
        self.candidate_: np.ndarray | None = None
        self.axis_: np.ndarray | None = None
        self.dominance_ = 0.0
        self.how_ = ""  # once locked: "repeat" or "sustained", "+candidate" if it took it
        self.relock = relock
        self._locked_block = 0  # blocks closed when the axis locked
        self._confirmed = False  # the lock confirmed: the movement repeated about its axis
        # A re-lock: the gyro's turn about the new axis at the far end of the repeated
        # strokes' first excursion (the set's way out from rest).
        self.excursion_rad_ = 0.0
        self.relocks_ = 0  # times a lock gave way to a repeated movement (module doc)
        # Once locked: the first block of the movement it locked on (the strokes or burst).
        self.from_block_ = 0

    def add(self, gyro_rad_s: np.ndarray, up: np.ndarray | None = None) -> None:
        """Accumulate samples of the open block (gyro bias-corrected; ``up``, the unit up
        vector in the sensor, lets a prescribed ROM's rep lock the axis)."""
        if up is not None and up.shape[0]:
            if self._up is None:  # the pose the stream starts in: a stroke may start at once
                self._block_up = up[0]
            self._up = up[-1]
        self._cov += gyro_rad_s.T @ gyro_rad_s * self.dt_s
        self._spin = self._spin + gyro_rad_s.sum(axis=0) * self.dt_s
        turned = float(np.sum(np.linalg.norm(gyro_rad_s, axis=1))) * self.dt_s
        self._turned += turned
        self.turned_rad_ += turned

    def close_block(self) -> bool:
        """End of a block: lock if the movement repeats. True once locked (a lock taken on
        one reach keeps watching, and may give way: :attr:`relocks_`)."""
        if self.axis_ is not None and not self.watching():
            return True
        cov, turned, spin = self._cov, self._turned, self._spin
        self._cov, self._turned, self._spin = np.zeros((3, 3)), 0.0, np.zeros(3)
        self._block += 1
        self._all_cov += cov
        if self.candidate_ is None and self.axis_ is None:
            self._windows.append((cov, turned))
            self._window_candidate()
        if turned >= self.block_turn_rad:
            self._burst_cov = self._burst_cov + cov
            self._burst_turned += turned
            self._burst_blocks += 1
            if not self._burst_spins:
                self._burst_ups = [self._block_up]
            self._burst_spins.append(spin)
            self._burst_ups.append(self._up)
            self._block_up = self._up
            if self.axis_ is not None:
                return True
            return self._try_sustained() or self._reached_open()
        self._block_up = self._up
        if self._burst_blocks:
            self._end_burst()
        return self.axis_ is not None

    def take_all(self) -> bool:
        """No two windows agreed in the wait: all the turning seen is the candidate.
        True if that locks (a sustained burst was waiting for a candidate)."""
        if self.axis_ is None and self.candidate_ is None:
            self.candidate_, _ = _principal(self._all_cov + self._cov, None)
            return self._try_sustained()
        return self.axis_ is not None

    @property
    def live_from_block_(self) -> int:
        """The first block of the strokes since the last pause longer than ``forget_s``
        (or of the open burst): what turned before it has been forgotten."""
        if self._chain_from is not None:
            return self._chain_from
        return self._block - self._burst_blocks

    def _window_candidate(self) -> None:
        k = self.blocks_per_window
        if len(self._windows) < 2 * k:
            return
        blocks = list(self._windows)
        older, newer = blocks[:k], blocks[k:]
        cov_o, cov_n = _total(c for c, _ in older), _total(c for c, _ in newer)
        for cov, part in ((cov_o, older), (cov_n, newer)):
            if sum(t for _, t in part) < self.window_turn_rad:
                return
            if _principal(cov, None)[1] < self.min_dominance:
                return
        a_o, _ = _principal(cov_o, None)
        a_n, _ = _principal(cov_n, None)
        if abs(float(a_o @ a_n)) >= self.cos_window:
            self.candidate_, _ = _principal(cov_o + cov_n, None)

    def _try_sustained(self) -> bool:
        if self._burst_blocks < self.sustain_blocks or self.candidate_ is None:
            return False
        axis, dominance = _principal(self._burst_cov, None)
        first = self._block - self._burst_blocks
        if dominance < self.min_dominance or self._agrees(axis):
            return self._lock(None, "sustained+candidate", first)
        return self._lock(self._burst_cov, "sustained", first)

    def _end_burst(self) -> None:
        cov, turned, n = self._burst_cov, self._burst_turned, self._burst_blocks
        spins, ups = np.array(self._burst_spins), self._burst_ups
        self._burst_cov, self._burst_turned, self._burst_blocks = np.zeros((3, 3)), 0.0, 0
        self._burst_spins, self._burst_ups = [], []
        if turned < self.min_turn_rad:
            return
        axis, dominance = _principal(cov, None)
        if dominance < self.min_dominance:
            return
        last = self._block - 1  # this block is the quiet one that ended the burst
        known = all(u is not None for u in ups)
        stroke = _Stroke(cov, axis, last - n + 1, last, spins,
                         np.array(ups) if known else np.empty((0, 3)))
        if self._strokes and stroke.first_block - self._strokes[-1].last_block > \
                self.forget_blocks:
            self._strokes.clear()  # the moves before were too long ago: forget them
        if not self._strokes:
            self._chain_from = stroke.first_block
        self._strokes.append(stroke)
        if self.axis_ is not None:
            self._relock()
            return
        if self.reach_rad is not None:
            for k in (1, 2):
                if len(self._strokes) >= k and self._reached(list(self._strokes)[-k:]):
                    return
        found = self._repeat(list(self._strokes))
        if found is None:
            return
        axis, total = found
        first = self._strokes[0].first_block
        if self._agrees(axis):
            self._lock(None, "repeat+candidate", first)
        else:
            self._lock(total, "repeat", first)

    def watching(self) -> bool:
        """Locked, and the lock not yet confirmed by its movement repeating: it may give way
        (module doc)."""
        return self.relock and self.axis_ is not None and not self._confirmed

    def _repeat(self, strokes: list[_Stroke]) -> tuple[np.ndarray, np.ndarray] | None:
        """The movement repeats: ``repeats`` strokes all turning within ``agree_deg`` of
        the axis of their turning together. That axis and their summed covariance, or None."""
        if len(strokes) < (self._strokes.maxlen or 1):
            return None
        total = _total(s.cov for s in strokes)
        axis, _ = _principal(total, None)
        if not all(abs(float(s.axis @ axis)) >= self.cos_agree for s in strokes):
            return None
        return axis, total

    def _relock(self) -> None:
        """Once the strokes begun after the lock repeat: about the locked axis (within
        ``agree_deg``) that confirms it, no more watching; a lock taken on one reach gives
        way to any other axis (the reach was not the exercise), any other lock only to an
        axis further than ``far_deg`` from it, and between the two keeps watching. Giving
        way locks on the repeated strokes, watched in turn (module doc)."""
        strokes = [s for s in self._strokes if s.first_block >= self._locked_block]
        found = self._repeat(strokes)
        if found is None:
            return
        axis, total = found
        assert self.axis_ is not None
        cos = abs(float(self.axis_ @ axis))
        if cos >= self.cos_agree:
            self._confirmed = True
            return
        reach = self.how_.startswith("reach")
        if not reach and cos >= self.cos_far:
            return
        self._lock(total, "repeat-after-reach" if reach else "repeat-far", strokes[0].first_block)
        assert self.axis_ is not None
        # The set began from rest: its first excursion about the new axis is the movement.
        turn = np.cumsum(np.concatenate([s.spins for s in strokes]) @ self.axis_)
        self.excursion_rad_ = float(turn[int(np.argmax(np.abs(turn)))])
        self.relocks_ += 1

    def _reached_open(self) -> bool:
        """The open burst, alone or after the last stroke: a rep already (it is on its way
        back), without waiting for the pause that ends it."""
        if self.reach_rad is None or self._burst_turned < self.min_turn_rad or any(
                u is None for u in self._burst_ups):
            return False
        first = self._block - self._burst_blocks
        axis, _ = _principal(self._burst_cov, None)
        burst = _Stroke(self._burst_cov, axis, first, self._block - 1,
                        np.array(self._burst_spins), np.array(self._burst_ups))
        if self._reached([burst]):
            return True
        last = self._strokes[-1] if self._strokes else None
        return last is not None and first - last.last_block <= self.forget_blocks and \
            self._reached([last, burst])

    def _reached(self, strokes: list[_Stroke]) -> bool:
        """With a ROM prescribed: lock if these strokes, about one axis, went out at least
        ``reach_frac`` of it and came at least ``back_frac`` of the way back (a rep)."""
        assert self.reach_rad is not None
        total = _total(s.cov for s in strokes)
        axis, dominance = _principal(total, None)
        if dominance < self.min_dominance or not all(
                abs(float(s.axis @ axis)) >= self.cos_agree for s in strokes):
            return False
        turn = np.cumsum(np.concatenate([s.spins for s in strokes]) @ axis)
        k = int(np.argmax(np.abs(turn)))
        peak = float(turn[k])
        if abs(peak) < self.reach_rad or k == len(turn) - 1:
            return False
        if (peak - float(turn[-1])) * np.sign(peak) < self.back_frac * abs(peak):
            return False
        # Gravity sees it too: the segment tilted that far from where the stroke began.
        if any(len(s.ups) == 0 for s in strokes):
            return False
        cos_tilt = np.concatenate([s.ups for s in strokes]) @ strokes[0].ups[0]
        if float(np.arccos(np.clip(cos_tilt.min(), -1.0, 1.0))) < self.reach_rad:
            return False
        if self._agrees(axis):
            return self._lock(None, "reach+candidate", strokes[0].first_block)
        return self._lock(total, "reach", strokes[0].first_block)

    def _agrees(self, axis: np.ndarray) -> bool:
        c = self.candidate_
        return c is not None and abs(float(c @ axis)) >= self.cos_agree

    def _lock(self, cov: np.ndarray | None, how: str, from_block: int) -> bool:
        if cov is None:  # the candidate
            assert self.candidate_ is not None
            self.axis_ = self.candidate_
            self.dominance_ = 0.0
        else:
            self.axis_, self.dominance_ = _principal(cov, None)
        self.how_ = how
        self.from_block_ = from_block
        self._locked_block = self._block
        self._confirmed = False
        return True
