"""The live screen shows the last rep's range of motion ('Last rep: 82°'), and a fused
camera + wearable set's later measured ROM (REP_MEASURED) replaces the figure in place
(issue 15). Offscreen at 800x480 in Spanish beside the camera picture (the narrowest the
right column gets): the line fits its box."""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy  # noqa: E402

configure_kivy((800, 480), fullscreen=False, pi=False)

from camera_live_set import left_elbow_camera_set  # noqa: E402
from tests.helpers.kiosk_touch import until  # noqa: E402
from kiosk_live_events import rep_of, set_event  # noqa: E402
from text_fit import overflow  # noqa: E402

from kiosk.vm.live import LiveSetVM  # noqa: E402
from therapy.plan import exercise_from_catalogue  # noqa: E402
from therapy.ports import EventKind  # noqa: E402

_ev = partial(set_event, exercise_id="elbow_flexion")  # the camera set's exercise


def test_last_rom_text_follows_rep_then_measured_and_clears_with_a_new_set() -> None:
    vm = LiveSetVM(exercise_from_catalogue("knee_extension_seated"))
    vm.on_event(_ev(EventKind.SET_STARTED), 0.0)
    assert vm.last_rom_text == ""  # no rep yet: nothing to show
    vm.on_event(_ev(EventKind.REP, rep_of(1, 61.4)), 1.0)
    assert vm.last_rom_text == "Last rep: 61°"
    vm.on_event(_ev(EventKind.REP, rep_of(2, 70.6)), 2.0)
    vm.on_event(_ev(EventKind.REP_MEASURED, rep_of(1, 50.0), index=0), 2.1)  # an older rep's
    assert vm.last_rom_text == "Last rep: 71°"
    vm.on_event(_ev(EventKind.REP_MEASURED, rep_of(2, 82.2), index=1), 2.3)
    assert vm.last_rom_text == "Last rep: 82°"
    vm.on_event(_ev(EventKind.SET_ENDED, reps=2), 3.0)
    vm.on_event(_ev(EventKind.SET_STARTED, set_no=2), 4.0)
    assert vm.last_rom_text == ""  # the new set's reps, not the last set's


@pytest.mark.timeout(120)
async def test_live_screen_shows_last_rep_rom_and_the_measured_one(tmp_path: Path) -> None:
    async with left_elbow_camera_set(tmp_path, "es") as (app, live):
        run = app.flow.model.run
        assert live.last_rom.text == ""
        await until(lambda: live.last_rom.text != "", 15, "a rep's ROM on the live screen")
        app.flow.pause_set()  # no new rep while the figures are compared
        await until(lambda: run.live.paused, 5, "the set paused")
        await until(lambda: live.last_rom.text.endswith(f" {round(run.live.roms[-1])}°"), 5,
                    "the last rep's ROM shown")
        deg = round(run.live.roms[-1])
        assert live.last_rom.text == f"Última repetición: {deg}°"
        assert overflow(live.last_rom) == ""
        # the fused set's measured ROM for that rep arrives later: the figure changes
        n = run.live.reps_in_set
        run.live.on_event(_ev(EventKind.REP_MEASURED, rep_of(n, 123.4), index=n - 1,
                              source="camera+imu"), app.flow.now())
        await until(lambda: live.last_rom.text == "Última repetición: 123°", 5,
                    "the measured ROM on the live screen")
        assert run.live.reps_in_set >= n  # it counted no rep
        assert overflow(live.last_rom) == ""
