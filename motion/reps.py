"""Streaming, causal repetition detector on an angle signal (prominence hysteresis).

A rep is rest → up → (hold) → down → rest:
1. *rise*: the angle climbs ``prominence`` above the lowest point since the last rep;
2. *top*: the highest point is tracked until the angle falls ``prominence`` below it;
3. *end*: the angle keeps falling; once it is back below half of the excursion and has
   stopped making new lows for ``settle_s`` (or turns up again), the rep is confirmed and
   emitted with its measurements. A dip that stays above half way and climbs again by a
   prominence is part of the same rep (a patient re-lifting during the hold, or a bounce
   at the top of the lift) — unless the limb had held at the top for ``held_s`` and then
   rested at the bottom of the dip for ``rest_s``: a lowering after a hold that stops and
   rests is the end of a rep, even when the patient no longer goes all the way back down
   (the rest level moved up, as when switching to small reps).

The prominence adapts to the set: ``prominence_frac`` of the reference ROM, never below
``min_prominence_deg``. Without a prescription the reference is the median of the last
three reps, and the prominence is ``initial_prominence_deg`` before any. With a ROM
prescribed the prescription counts as a rep before the set's first: the reference is the
median of the last three of (prescribed ROM, reps...), never above the prescribed ROM, so
a patient who can do only a third or a fifth of it outvotes it from the second rep on. The
prominence then never goes below ``start_prominence_frac`` of the prescribed ROM nor below
``initial_prominence_deg`` (the fidget scale; unless ``prominence_frac`` of the ROM is
smaller still), and it is that floor before the first rep: reps far below the prescribed
ROM are seen, and the set's opening rule (:meth:`motion.rep_gates.RepGate.open_set`), not
the prominence, keeps the odd move of a rest out. The fall that starts the way down is at
most ``prominence_frac`` of the rep's own excursion, so the first small rep after bigger
ones is not held to their prominence. Once the set is open, moves under the prominence are
watched too, and three that repeat as a set opens count
(:meth:`motion.rep_gates.RepGate.small_reps`): reps that fell under a third of the earlier
ones would otherwise never lower the prominence that hides them.

The start of a rep is the rest level it lifts from. A rise that pauses for
``valley_window_s`` without getting higher and then climbs a full prominence above that
pause began a new lift there: the pause was a rest (after a posture shift or a jolt that
set a false low), not a hold, and the rep is measured from it.
Each emitted rep is final: later samples never change it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace

import numpy as np

from motion.measure import HOLD_BAND_DEG, HOLD_BAND_FRAC, RepShape, measure_rep
from motion.period import PeriodEstimator
from motion.rep_gates import RepGate
from motion.stats import median_of

_BASE, _RISE, _DESC = 0, 1, 2
_NEVER = 1 << 62  # an index no stream reaches


class RepDetector:
    """Feed (t, angle) chunks; get finished reps (:class:`RepShape`) back."""

    def __init__(
        self,
        rate_hz: float,
        *,
        reference_rom_deg: float | None = None,
        min_prominence_deg: float = 2.5,
        initial_prominence_deg: float = 6.0,
        prominence_frac: float = 0.3,
        start_prominence_frac: float = 0.15,
        settle_s: float = 0.2,
        rest_s: float = 0.5,
        held_s: float = 1.5,
        valley_window_s: float = 5.0,
        max_rep_s: float = 60.0,
        reached_frac: float = 0.7,
        merge_frac: float = 0.6,
        open_rom_deg: float | None = 8.0,
        alike_ratio: float = 3.0,
        open_reps: int = 3,
        regular_ratio: float = 2.0,
        return_frac: float = 0.6,
        end_top_share: float = 0.5,
    ) -> None:
        self.dt_s = 1.0 / float(rate_hz)
        self.reference_rom_deg = reference_rom_deg
        self.min_prominence_deg = min_prominence_deg
        self.initial_prominence_deg = initial_prominence_deg
        self.prominence_frac = prominence_frac
        self.start_prominence_frac = start_prominence_frac
        self.settle_s = settle_s
        self.rest_s = rest_s
        self.held_s = held_s
        self.valley_window_s = valley_window_s
        self.reached_frac = reached_frac
        self.merge_frac = merge_frac
        self.return_frac = return_frac
        self.end_top_share = end_top_share
        # Which shapes count: the set's opening, and reps under the prominence
        # (motion.rep_gates).
        self._gate = RepGate(reference_rom_deg, open_rom_deg, alike_ratio, open_reps,
                             regular_ratio, reached_frac, prominence_frac, return_frac)
        self._own_period: PeriodEstimator | None = PeriodEstimator(rate_hz)
        self._period_s: float | None = None
        self._periods: deque[tuple[int, float | None]] = deque()
        self._count = 0
        self._last_confirm_t = -np.inf
        self._prev_confirm_t = -np.inf  # the confirmation before the last
        # The start of a rep is the lowest point of the last few seconds, not of all time
        # since the last rep: a patient who shifts on the chair moves the rest level.
        self.valley_window_n = max(2, int(round(valley_window_s * rate_hz)))
        # A "rise" with no way down for this long is a posture change, not a rep.
        self.max_rep_s = max_rep_s
        self.keep_n = int(round(1.0 * rate_hz))
        self._roms: list[float] = []
        self._starts: list[float] = []
        self._holds: list[float] = []
        self._t: list[float] = []
        self._a: list[float] = []
        # The same history as arrays, for measuring a rep without converting its samples.
        self._t_arr = self._a_arr = np.empty(0)
        self._state = _BASE
        self._iv = self._ip = self._il = 0
        # Rise: last sample that got higher by ``tol``, lowest sample since, and the low
        # of a pause the rise has just climbed out of (-1: none) with the top before it.
        self._iq = self._jl = self._jp = 0
        self._jc = -1
        self._last_low_t = 0.0
        self._near_t = 0.0
        self._held = False
        self._anchor = 0.0
        # A move under the prominence, watched while the set is open (RepGate.small_reps):
        # state (0 idle, 1 rising, 2 falling), valley, peak, low, the low's time.
        self._sm = self._sv = self._sp = self._sl = 0
        self._sl_t = 0.0
        self.prominence_deg_ = self._prominence()

    @property
    def pending_reps_(self) -> int:
        """Reps seen that wait for the set to open (``RepGate.open_set``): they count, with
        the rep that opens it, once one more alike comes; 0 once the set is open."""
        return 0 if self._roms else len(self._gate.cands)

    def _reference_rom(self) -> float | None:
        """The median of the last three reps' ROM (None before any); with a ROM
        prescribed, of the last three of (prescribed ROM, reps...), never above it."""
        target = self.reference_rom_deg
        if target is None:
            return median_of(self._roms[-3:]) if self._roms else None
        return min(target, median_of(([target] + self._roms[-3:])[-3:]))

    def _prominence(self) -> float:
        target = self.reference_rom_deg
        if target is None:
            ref = self._reference_rom()
            p = self.initial_prominence_deg if ref is None else self.prominence_frac * ref
            return max(self.min_prominence_deg, p)
        frac = self.prominence_frac
        floor = max(self.min_prominence_deg, min(
            frac * target, max(self.initial_prominence_deg, self.start_prominence_frac * target)))
        ref = self._reference_rom()
        assert ref is not None
        return floor if not self._roms else max(floor, frac * ref)

    def add_periods(self, updates: list[tuple[int, float | None]]) -> None:
        """The set's period from a better source than the angle (the sensor's six
        channels, :class:`~motion.period.PeriodEstimator` on the same samples): refreshes
        as (index of the sample from which it holds, period or None). Once given, the
        angle's own estimate is no longer made."""
        self._own_period = None
        self._periods.extend(updates)

    def process(self, t_s: np.ndarray, angle_deg: np.ndarray, now_s: float | None = None
                ) -> list[RepShape]:
        out: list[RepShape] = []
        tl, al = self._t, self._a
        base = len(tl)
        tl.extend(t_s.tolist())
        al.extend(angle_deg.tolist())
        t_arr = self._t_arr = np.concatenate((self._t_arr, t_s), dtype=np.float64)
        a_arr = self._a_arr = np.concatenate((self._a_arr, angle_deg), dtype=np.float64)
        # Period refreshes, each used from the sample it was made at (chunk-invariant).
        queue = self._periods
        if self._own_period is not None:
            queue.extend(self._own_period.add(angle_deg))
        g0 = self._count - base
        self._count += angle_deg.shape[0]
        period_s = self._period_s
        last_confirm_t, prev_confirm_t = self._last_confirm_t, self._prev_confirm_t
        P = self.prominence_deg_
        state, iv, ip, il = self._state, self._iv, self._ip, self._il
        iq, jl, jc, jp = self._iq, self._jl, self._jc, self._jp
        last_low_t, near_t, anchor = self._last_low_t, self._near_t, self._anchor
        held = self._held
        sm, sv, sp, sl, sl_t = self._sm, self._sv, self._sp, self._sl, self._sl_t
        gate = self._gate
        watch = gate.watching(bool(self._roms), P)
        small_rise = 0.5 * gate.small_rom_deg  # where a move under it is watched
        # The fall that starts the way down is the set's prominence, or less for a rep
        # smaller than the set's reference: ``prominence_frac`` of its own excursion (not
        # under the minimum). Inlined below with the other tolerances: this loop runs once
        # per sample, and calls cost more than the arithmetic.
        frac, min_p = self.prominence_frac, self.min_prominence_deg
        # The loop's other constants as locals too (a local costs less than an attribute).
        valley_n, valley_s, max_rep_s = self.valley_window_n, self.valley_window_s, self.max_rep_s
        rest_s, settle_s, merge_frac = self.rest_s, self.settle_s, self.merge_frac
        # The next period refresh, as an index into ``al`` (none queued: never).
        next_p = queue[0][0] - g0 if queue else _NEVER
        # The rise's tolerances, kept while its valley and top (and P) stay the same.
        rip = riv = -1
        tol = fall = 0.0
        for i in range(base, len(al)):
            x = al[i]
            if i >= next_p:
                while queue and queue[0][0] <= g0 + i:
                    period_s = queue.popleft()[1]
                next_p = queue[0][0] - g0 if queue else _NEVER
            if state == _BASE:
                if x < al[iv]:
                    iv = i
                elif x >= al[iv] + P:
                    state, ip, iq, jl, jc = _RISE, i, i, i, -1
                    sm = 0
                elif i - iv >= valley_n:
                    iv = self._recent_low(i)
                if watch and state == _BASE:
                    # A movement under the prominence: if it repeats alike, the reps got
                    # smaller (a patient tiring, a low-amplitude block): RepGate.small_reps.
                    if sm == 0:
                        if x >= al[iv] + small_rise:
                            sm, sv, sp = 1, iv, i
                    elif sm == 1:
                        if x > al[sp]:
                            sp = i
                        elif x <= al[sp] - max(min_p, frac * (al[sp] - al[sv])):
                            sm, sl, sl_t = 2, i, tl[i]
                    else:
                        exc_s = al[sp] - al[sv]
                        if x < al[sl] - 0.2:
                            sl, sl_t = i, tl[i]
                        elif al[sl] > al[sv] + 0.5 * exc_s:  # not half way down yet
                            if x >= al[sl] + max(min_p, frac * exc_s):  # climbs again
                                sm = 1
                                if x > al[sp]:
                                    sp = i
                        elif x >= al[sl] + max(1.0, 0.08 * exc_s) or tl[i] - sl_t >= settle_s:
                            sm = 0
                            done = gate.small_reps(self._shape(sv, sp, sl, i, now_s),
                                                   median_of(self._starts[-3:]))
                            if done:
                                P = self._count_reps(done, out)
                                watch = gate.watching(bool(self._roms), P)
                                prev_confirm_t, last_confirm_t = last_confirm_t, tl[i]
                                iv = sl
            elif state == _RISE:
                if ip != rip or iv != riv:  # the excursion changed: its tolerances too
                    rip, riv = ip, iv
                    exc = al[ip] - al[iv]
                    tol = 0.08 * exc
                    if tol < 1.0:
                        tol = 1.0
                    fall = frac * exc
                    fall = P if P < fall else max(min_p, fall)
                if x >= al[iq] + tol:  # got higher
                    if tl[i] - tl[iq] >= valley_s:
                        jc, jp = jl, ip  # ... after a pause: maybe a new lift from there
                    iq = jl = i
                elif x < al[jl]:
                    jl = i
                if x > al[ip]:
                    ip = i
                if jc >= 0 and x >= al[jp] + P:
                    # A prominence above the top before the pause: a second lift, not a
                    # jerk at the end of a hold. The pause was a rest, the rep starts there.
                    iv, jc = jc, -1
                elif x <= al[ip] - fall:
                    state, il, last_low_t, near_t, anchor = _DESC, i, tl[i], tl[i], x
                    held = self._top_s(iv, ip, i) >= self.held_s
                elif tl[i] - tl[iv] > max_rep_s:
                    state, iv = _BASE, self._recent_low(i)
            else:
                v, p, e = al[iv], al[ip], al[il]
                exc = p - v
                if x < e:
                    il = i
                # Still coming down while it keeps falling by more than ``tol`` per
                # ``settle_s``: ``anchor`` is the level it last fell from.
                fall_tol = 0.02 * exc
                if x < anchor - (fall_tol if fall_tol > 0.2 else 0.2):
                    anchor, last_low_t, near_t = x, tl[i], tl[i]
                    continue
                up_tol = 0.08 * exc
                if up_tol < 1.0:
                    up_tol = 1.0
                if x < e + up_tol:
                    near_t = tl[i]  # still resting at the bottom
                if e > v + 0.5 * exc:  # not half way down
                    if x < e + (P if P < frac * exc else max(min_p, frac * exc)):
                        continue
                    if not held or near_t - last_low_t < rest_s:
                        # A bounce after the lift, or a sag in the hold that did not
                        # rest at the bottom before climbing again: same rep.
                        state, iq, jl, jc = _RISE, i, i, -1
                        if x > p:
                            ip = i
                        continue
                    # Held at the top, came down, rested, lifts again: that lowering
                    # ended the rep, and this is the next one.
                elif not (x >= e + up_tol or tl[i] - last_low_t >= settle_s):
                    continue
                if period_s is not None and tl[i] - last_confirm_t < merge_frac * period_s \
                        and last_confirm_t - prev_confirm_t >= merge_frac * period_s:
                    # Far sooner than the set's period after the last rep: one bump of a
                    # two-bump cycle (a row, a press). The rep goes on to the cycle's end.
                    # Unless the last rep came as soon after the one before: the reps
                    # are quicker than the period says (it lags a change of tempo, e.g.
                    # back-to-back fast reps), not bumps of one.
                    state, iq, jl, jc = _RISE, i, i, -1
                    continue
                if self._starts and p < median_of(self._starts[-3:]) + (
                        P if P < frac * exc else max(min_p, frac * exc)):
                    # Its top stays below where the set's reps start (by the rise a rep
                    # of its size needs, as the fall above): the limb went the other way
                    # and came back (repositioning), not a lift.
                    state, iv = _BASE, il
                    continue
                confirmed_before = prev_confirm_t, last_confirm_t
                prev_confirm_t, last_confirm_t = last_confirm_t, tl[i]
                shape = self._shape(iv, ip, il, i, now_s)
                if shape.end_deg - shape.start_deg > self.return_frac * shape.rom_deg:
                    # It never came back: the limb settled at a new level (and a jolt at
                    # the top looked like the turn), not a rep.
                    prev_confirm_t, last_confirm_t = confirmed_before
                    state, iv = _BASE, il
                    continue
                P = self._count_reps(gate.leading_small(shape) + [shape] if self._roms
                                     else gate.open_set(shape, False), out)
                watch = gate.watching(bool(self._roms), P)
                gate.small.clear()
                sm = 0
                rip = -1
                # The low after this rep is the valley candidate for the next one.
                state, iv = _BASE, il
                # Re-check this sample against the new valley.
                if x >= al[iv] + P:
                    state, ip, iq, jl, jc = _RISE, i, i, i, -1
        # Drop history no open rep can need (all but a second before the current valley).
        cut = (min(iv, sv) if sm else iv) - self.keep_n
        if cut > 0:
            del tl[:cut], al[:cut]
            self._t_arr, self._a_arr = t_arr[cut:], a_arr[cut:]
            iv, ip, il = iv - cut, max(ip - cut, 0), max(il - cut, 0)
            iq, jl, jp = max(iq - cut, 0), max(jl - cut, 0), max(jp - cut, 0)
            jc = jc - cut if jc >= cut else -1
            sv, sp, sl = max(sv - cut, 0), max(sp - cut, 0), max(sl - cut, 0)
        self._sm, self._sv, self._sp, self._sl, self._sl_t = sm, sv, sp, sl, sl_t
        self._state, self._iv, self._ip, self._il = state, iv, ip, il
        self._iq, self._jl, self._jc, self._jp = iq, jl, jc, jp
        self._last_low_t, self._near_t, self._anchor = last_low_t, near_t, anchor
        self._held = held
        self._period_s, self._last_confirm_t = period_s, last_confirm_t
        self._prev_confirm_t = prev_confirm_t
        return out

    def _shape(self, iv: int, ip: int, il: int, i: int, now_s: float | None) -> RepShape:
        """The rep from valley ``iv`` over peak ``ip`` to low ``il``, confirmed at sample
        ``i`` (history indices; a second before the valley kept for its rest level)."""
        t_i = self._t[i]
        lo = max(0, iv - self.keep_n)
        return measure_rep(self._t_arr[lo : i + 1], self._a_arr[lo : i + 1], iv - lo, ip - lo,
                           il - lo, t_i if now_s is None else max(t_i, now_s),
                           nominal_dt_s=self.dt_s)

    def _count_reps(self, reps: list[RepShape], out: list[RepShape]) -> float:
        """Emit ``reps`` (into ``out``), make them the set's latest, and return the
        prominence they set."""
        for rep in reps:
            out.append(rep)
            self._roms.append(rep.rom_deg)
            self._starts.append(rep.start_deg)
            self._holds.append(rep.hold_s)
        self.prominence_deg_ = self._prominence()
        return self.prominence_deg_

    def _top_s(self, iv: int, ip: int, i: int) -> float:
        """How long the angle stayed in the top quarter of the rise around its peak ``ip``
        (up to ``i``): a hold, or only an overshoot at the end of the lift."""
        al, tl, a = self._a, self._t, self._a_arr
        level = al[ip] - 0.25 * (al[ip] - al[iv])
        # from the peak back to just after the last sample below the level (else the
        # valley), and on to just before the first one below it after the peak (else i):
        # the same run a sample-by-sample walk finds, at a third of its cost on a hold
        below = (a[iv:ip] < level).nonzero()[0]
        k0 = iv + int(below[-1]) + 1 if below.size else iv
        below = (a[ip + 1 : i + 1] < level).nonzero()[0]
        k1 = ip + int(below[0]) if below.size else i
        return tl[k1] - tl[k0]

    def _near_top_s(self, iv: int, p: float) -> float:
        """How long the open rep (valley ``iv``, highest ``p`` so far) has been near its
        top: from the first sample in the hold's band below ``p`` to the newest."""
        a = self._a_arr
        band = max(HOLD_BAND_DEG, HOLD_BAND_FRAC * (p - a[iv]))
        k0 = iv + int((a[iv:] >= p - band).argmax())
        return self._t[-1] - self._t[k0]

    def _usual_hold_s(self) -> float:
        """The median hold of the set's last three reps (infinite before any)."""
        return median_of(self._holds[-3:]) if self._holds else float("inf")

    def _recent_low(self, i: int) -> int:
        """Index of the lowest sample in the last ``valley_window_n`` up to ``i``."""
        lo = max(0, i - self.valley_window_n + 1)
        seg = self._a[lo : i + 1]
        return lo + min(range(len(seg)), key=seg.__getitem__)

    def finish(self, now_s: float | None = None) -> list[RepShape]:
        """End of stream: the open rep counts if it came down at least half way, or if it
        reached the top (``reached_frac`` of the set's reference ROM) and either turned
        back (the same 8 % tolerance as a rise's) or has been near its top (the hold's
        band) for ``end_top_share`` of the time the set's last reps spent there: a
        rep's top is about even in time around the turn, so by half that time the limb
        got where the set's reps turn, and after a hold it held for half a hold. A
        patient who stops there did that rep; a recording cut there (SPAR's sets end
        on a rep's way up as often as not) holds it. A rep cut on its way up, or early
        in its hold, does not count."""
        if self._state == _BASE:
            return []
        al, tl = self._a, self._t
        iv, ip = self._iv, self._ip
        v, p = al[iv], al[ip]
        il = ip + int(np.argmin(al[ip:]))
        e = al[il]
        ref = self._reference_rom()
        down_half = self._state == _DESC and e <= v + 0.5 * (p - v)
        turned = al[-1] <= p - max(1.0, 0.08 * (p - v))
        reached = ref is not None and p - v >= self.reached_frac * ref and (
            turned or self._near_top_s(iv, p) >= self.end_top_share * self._usual_hold_s())
        if not (down_half or reached):
            return []
        t_det = tl[-1] if now_s is None else max(tl[-1], now_s)
        shape = measure_rep(np.asarray(tl), np.asarray(al), iv, ip, il, t_det,
                            nominal_dt_s=self.dt_s)
        if not down_half:  # most of its lowering unseen: taken as long as its lift,
            shape = replace(shape, down_s=shape.up_s)  # not as a lowering of no time
        self._state = _BASE
        return self._gate.open_set(shape, bool(self._roms))
