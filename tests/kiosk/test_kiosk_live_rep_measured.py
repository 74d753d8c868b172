"""The live set of a camera + wearable set: the count moves on REP, the ROM on the later
"rep measured" (issue 15, fused rep delay), which never counts a rep again."""

from __future__ import annotations

from datetime import datetime, timezone

from kiosk.vm.live import LiveSetVM
from motion.types import Rep
from therapy.plan import exercise_from_catalogue
from therapy.ports import EventKind, SessionEvent

AT = datetime(2026, 3, 4, 15, 0, tzinfo=timezone.utc)


def _ev(kind: EventKind, set_no: int = 1, rep: Rep | None = None, **extra: object) -> SessionEvent:
    return SessionEvent(kind, "s1", "knee_extension_seated", set_no, AT, rep, 0.0, dict(extra))


def _rep(n: int, rom: float) -> Rep:
    return Rep(n, 0.0, 1.0, 2.0, 2.1, rom, 3.0, 1.5, 1.5, rom)


def test_rep_counts_and_rep_measured_replaces_only_that_reps_rom() -> None:
    vm = LiveSetVM(exercise_from_catalogue("knee_extension_seated"))
    vm.on_event(_ev(EventKind.SET_STARTED), 0.0)
    vm.on_event(_ev(EventKind.REP, rep=_rep(1, 61.0)), 1.0)
    vm.on_event(_ev(EventKind.REP, rep=_rep(2, 62.0)), 2.0)
    assert (vm.rep_text, vm.reps_total, vm.roms) == ("2", 2, [61.0, 62.0])
    vm.on_event(_ev(EventKind.REP_MEASURED, rep=_rep(1, 66.5), index=0, source="camera"), 2.2)
    assert (vm.rep_text, vm.reps_total, vm.roms) == ("2", 2, [66.5, 62.0])
    # second set: its index 0 is the third rep of the session
    vm.on_event(_ev(EventKind.SET_ENDED, reps=2), 3.0)
    vm.on_event(_ev(EventKind.SET_STARTED, set_no=2), 4.0)
    vm.on_event(_ev(EventKind.REP, set_no=2, rep=_rep(1, 63.0)), 5.0)
    vm.on_event(_ev(EventKind.REP_MEASURED, set_no=2, rep=_rep(1, 59.0), index=0,
                    source="camera+imu"), 5.3)
    assert (vm.rep_text, vm.reps_total, vm.roms) == ("1", 3, [66.5, 62.0, 59.0])
