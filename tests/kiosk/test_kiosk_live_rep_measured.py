"""The live set of a camera + wearable set: the count moves on REP, the ROM on the later
"rep measured" (issue 15, fused rep delay), which never counts a rep again."""

from __future__ import annotations

from kiosk_live_events import rep_of, set_event

from kiosk.vm.live import LiveSetVM
from therapy.plan import exercise_from_catalogue
from therapy.ports import EventKind


def test_rep_counts_and_rep_measured_replaces_only_that_reps_rom() -> None:
    vm = LiveSetVM(exercise_from_catalogue("knee_extension_seated"))
    vm.on_event(set_event(EventKind.SET_STARTED), 0.0)
    vm.on_event(set_event(EventKind.REP, rep=rep_of(1, 61.0)), 1.0)
    vm.on_event(set_event(EventKind.REP, rep=rep_of(2, 62.0)), 2.0)
    assert (vm.rep_text, vm.reps_total, vm.roms) == ("2", 2, [61.0, 62.0])
    vm.on_event(set_event(EventKind.REP_MEASURED, rep=rep_of(1, 66.5), index=0,
                          source="camera"), 2.2)
    assert (vm.rep_text, vm.reps_total, vm.roms) == ("2", 2, [66.5, 62.0])
    # second set: its index 0 is the third rep of the session
    vm.on_event(set_event(EventKind.SET_ENDED, reps=2), 3.0)
    vm.on_event(set_event(EventKind.SET_STARTED, set_no=2), 4.0)
    vm.on_event(set_event(EventKind.REP, set_no=2, rep=rep_of(1, 63.0)), 5.0)
    vm.on_event(set_event(EventKind.REP_MEASURED, set_no=2, rep=rep_of(1, 59.0), index=0,
                          source="camera+imu"), 5.3)
    assert (vm.rep_text, vm.reps_total, vm.roms) == ("1", 3, [66.5, 62.0, 59.0])
