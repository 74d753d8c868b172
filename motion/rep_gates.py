"""Which confirmed rep shapes are reps (pure): a set's opening, and reps that fall under the
prominence its earlier reps set.

:class:`~motion.reps.RepDetector` finds the shapes (rest, up, hold, down, rest) with its
prominence hysteresis; a :class:`RepGate` decides which of them count. Until a set is open
its reps wait unemitted (:meth:`RepGate.open_set`); once open every shape the detector
confirms counts, and moves under its prominence count when they repeat as a set opens
(:meth:`RepGate.small_reps`) or when a rep of their kind reaches the prominence after
them (:meth:`RepGate.leading_small`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from motion.measure import RepShape

KEEP_CANDIDATES = 20  # reps waiting for a set to open (a bound, not a rule)


@dataclass
class RepGate:
    """The opening rule's parameters (see :meth:`open_set`) and the shapes waiting."""

    reference_rom_deg: float | None = None
    open_rom_deg: float | None = 8.0
    alike_ratio: float = 3.0
    open_reps: int = 3
    regular_ratio: float = 2.0
    reached_frac: float = 0.7
    prominence_frac: float = 0.3
    return_frac: float = 0.6
    # Moves under the prominence, once a set is open: the smallest that counts (twice the
    # detector's least prominence: smaller is not told from sway and noise), and how far
    # below the set's rest level it may start, as a share of its own size (sway swings as
    # far below the rest level as above; a rep starts from it).
    small_rom_deg: float = 5.0
    start_band: float = 0.25
    cands: list[RepShape] = field(default_factory=list)
    small: list[RepShape] = field(default_factory=list)

    def open_set(self, shape: RepShape, is_open: bool) -> list[RepShape]:
        """The reps to emit for a confirmed ``shape``. Until a set is open its reps wait,
        unemitted. With no ROM prescribed it opens with ``open_reps`` reps that repeat:
        each of at least ``open_rom_deg``, each within a factor ``alike_ratio`` of the one
        before in ROM, regular in time (their start-to-start intervals within a factor
        ``regular_ratio`` of each other; not their durations: a hole in the data or a
        longer hold stretches one rep, not the rhythm). With a ROM prescribed (the kiosk
        always has one; its prominence already keeps sway out) it opens with a rep that
        reaches ``reached_frac`` of it, so the first rep of a set done as prescribed counts
        as it ends, or with a second rep alike to the one before: a set done smaller than
        prescribed counts from its second rep, the first with it. Reps under
        ``prominence_frac`` of the prescribed ROM (the size the prominence started at
        before ``start_prominence_frac`` let them through) need ``open_reps`` alike and
        regular, as without a prescription: a fidget of that size may come twice, seldom
        three times alike in rhythm. The set then starts at
        the earliest alike rep before that led into the next with a pause no longer than
        the set's longest interval (with a ROM prescribed: than the last rep took; and not
        back past a rep under ``prominence_frac`` of it unless such reps opened it), so a
        first rep that differs, as first reps do, still counts, and a lift of the arm a
        while before does not. Sway, fidgeting and the odd shift of posture or lift of the
        arm seldom repeat like that, nor reach a prescribed ROM about the exercise's axis;
        once the set is open every rep counts."""
        if is_open or self.open_rom_deg is None:
            return [shape]
        cands = self.cands
        ref = self.reference_rom_deg
        if ref is None and shape.rom_deg < self.open_rom_deg:
            cands.clear()
            return []
        self._extend_alike(cands, shape)
        # How many alike reps open the set, and whether they must keep a rhythm: with a ROM
        # prescribed one that reaches it, or two of at least prominence_frac of it; else (no
        # ROM, or reps smaller than that) open_reps in rhythm.
        rhythm = False
        if ref is not None and shape.rom_deg >= self.reached_frac * ref:
            need = 1
        elif ref is not None and min(c.rom_deg for c in cands[-2:]) >= self.prominence_frac * ref:
            need = 2
        else:
            need, rhythm = self.open_reps, True
        small = rhythm and ref is not None  # opened by reps under prominence_frac of the ROM
        if len(cands) < need:
            return []
        last = cands[-need:]
        if rhythm and not self._regular(last):
            del cands[:-KEEP_CANDIDATES]
            return []
        first = len(cands) - need
        link = (shape.t_end - shape.t_start if ref is not None
                else max(b.t_start - a.t_start for a, b in zip(last, last[1:])))
        while first > 0 and cands[first].t_start - cands[first - 1].t_end <= link:
            if ref is not None and not small and (
                    cands[first - 1].rom_deg < self.prominence_frac * ref):
                break  # a small move before a set of bigger reps is not one of them
            first -= 1
        self.cands = []
        return [replace(c, t_detected=shape.t_detected) for c in cands[first:-1]] + [shape]

    def watching(self, is_open: bool, prominence: float) -> bool:
        """Whether moves under the prominence are watched: once the set is open (and
        opening is gated at all), while the prominence is above ``small_rom_deg``."""
        return is_open and self.open_rom_deg is not None and prominence > self.small_rom_deg

    def small_reps(self, shape: RepShape, rest_deg: float) -> list[RepShape]:
        """A move under the prominence came and went, starting at ``rest_deg`` or above
        (the level the set's last reps started from, less ``start_band`` of its size).
        Reps of a size the set has not seen are reps when ``open_reps`` of them repeat as
        a set opens: each of at least ``small_rom_deg``, each within ``alike_ratio`` of
        the one before, regular in rhythm, and each coming back (``return_frac``). Then
        they count, and the prominence follows them. Without this a set whose reps fell
        under a third of the earlier ones (a patient tiring; a low-amplitude block after
        full ones) counted nothing more, however clearly they repeated."""
        small, least = self.small, self.small_rom_deg
        if shape.rom_deg < least or (
                shape.end_deg - shape.start_deg > self.return_frac * shape.rom_deg) or (
                shape.start_deg < rest_deg - self.start_band * shape.rom_deg):
            return []
        self._extend_alike(small, shape)
        del small[:-self.open_reps]
        if len(small) < self.open_reps or not self._regular(small):
            return []
        out = [replace(c, t_detected=shape.t_detected) for c in small]
        small.clear()
        return out

    def leading_small(self, shape: RepShape) -> list[RepShape]:
        """The moves under the prominence watched just before ``shape``, a rep of the open
        set, that were reps of its kind: the run :meth:`small_reps` was gathering, when
        ``shape`` is alike to its last and keeps its rhythm. Reps that fell under the
        prominence reach it again now and then, the prominence being a third of the set's
        earlier reps; the ones just before that did not were the same reps. Without this
        they were dropped with the run: the first one or two of a low-amplitude block
        after full reps (UCI-PT's protocol simulated at 25 % of the ROM: 12 of 70
        sessions short)."""
        run, r = self.small, self.alike_ratio
        if not run or not run[-1].rom_deg / r <= shape.rom_deg <= run[-1].rom_deg * r:
            return []
        if len(run) > 1 and not self._regular(run + [shape]):
            return []
        return [replace(c, t_detected=shape.t_detected) for c in run]

    def _extend_alike(self, run: list[RepShape], shape: RepShape) -> None:
        """Append ``shape`` to ``run``, a run of reps each within ``alike_ratio`` of the one
        before in ROM; one that is not starts the run anew."""
        r = self.alike_ratio
        if run and not run[-1].rom_deg / r <= shape.rom_deg <= run[-1].rom_deg * r:
            run.clear()
        run.append(shape)

    def _regular(self, reps: list[RepShape]) -> bool:
        """Start-to-start intervals within a factor ``regular_ratio`` of each other."""
        gaps = [b.t_start - a.t_start for a, b in zip(reps, reps[1:])]
        return max(gaps) <= self.regular_ratio * min(gaps)
