"""A live set's wearable outages journaled as they happen (issue 15, lose no data).

The live set (``sensors.live_set.LiveSet``) keeps each outage in its supervisor and saves
them with the set when it ends (``wearable_gaps``), so a crash mid-set lost them.
:class:`GapWatch` listens beside it - on each wearable's link, after the supervisor has seen
the event, and to the live set's actions (an END from its away-limit check closes the
outages still open) - and hands each outage to the session's journal twice: when it starts
(no end yet) and when it ends, with the :class:`~therapy.journal.ClockPair` read when the
set's supervision began. The next start stores a dead process's draft with them, placed in
calendar time by that pair. :class:`SessionGaps` keeps what the watches of a running session
saw for its record (``SessionRecord.gaps``), placed by the same pair and the same function
(:meth:`~therapy.journal.DraftGap.record`) as a recovered draft's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from therapy.journal import ClockPair, DraftGap
from therapy.records import GapRecord


class GapWatch:
    """``write`` gets each outage's :class:`DraftGap` of set ``set_no`` as it starts and
    as it ends, once each, with ``clock`` (the clock pair of the set's supervision)."""

    def __init__(self, write: Callable[[DraftGap], None], set_no: int,
                 clock: ClockPair | None = None) -> None:
        self.write = write
        self.set_no = set_no
        self.clock = clock
        self._written: dict[tuple[str, float], float | None] = {}  # (sensor, start) -> end

    def attach(self, live: Any) -> None:
        """Listen to ``live``'s links (after its supervisor: listeners run in order) and
        to its actions."""
        self._live = live
        for link in live.links:
            link.listeners.append(self.sync)
        live.listeners.append(self.sync)

    def sync(self, _event: Any = None) -> None:
        """Write what the supervisor holds and is not on disk yet (a link event or an
        action has just been handled)."""
        sup, set_no, clock = self._live.supervisor, self.set_no, self.clock
        for g in sup.gaps_:
            self._put(DraftGap(set_no, g.sensor_id, g.segment, float(g.start_s),
                               None if g.end_s is None else float(g.end_s), g.reason, clock))
        for lost in list(sup.away_.values()):
            self._put(DraftGap(set_no, lost.sensor_id, lost.segment, float(lost.at_s), None,
                               lost.reason, clock))

    def _put(self, gap: DraftGap) -> None:
        key = (gap.sensor_id, gap.start_s)
        if key in self._written and (self._written[key] is not None or gap.end_s is None):
            return  # this start, or this end, is written already
        self._written[key] = gap.end_s
        self.write(gap)


class SessionGaps:
    """The outages a running session's watches saw (the newest of each: its end replaces
    its start), for the session's record."""

    def __init__(self) -> None:
        self._gaps: dict[tuple[int, str, float], DraftGap] = {}  # (set, sensor, start)

    def keep(self, gap: DraftGap) -> None:
        self._gaps[(gap.set_no, gap.sensor_id, gap.start_s)] = gap

    def records(self, sets_run: int) -> tuple[GapRecord, ...]:
        """The outages of the ``sets_run`` sets run, by set and start, in calendar time
        when their set's clock pair was read (one begun for a set that never ran is left
        out, as a recovered draft leaves it)."""
        kept = sorted(self._gaps.values(), key=lambda g: (g.set_no, g.start_s, g.sensor_id))
        return tuple(g.record() for g in kept if g.set_no <= sets_run)
