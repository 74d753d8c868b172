"""``rehab kiosk`` (its own command code: offscreen set-up, the model, ``run_app``, the model
closed after) with a patient: once the first frame is drawn, the PIN is typed on the pad
and one set of an exercise begins through the kiosk's flow (start, pain before, begin),
each rep printed as the screen hears of it (``rep N``, flushed). For tests that kill the
kiosk mid-set (test_kiosk_killed). Run as ``python kiosk_driven.py EXERCISE REPS -- ARGS``
(ARGS: ``rehab kiosk``'s)."""

from __future__ import annotations

import asyncio
import sys
from typing import Any


def _print_rep(ev: Any) -> None:
    if ev.kind == "rep" and ev.rep is not None:  # journaled already (before the event)
        print(f"rep {ev.rep.n}", flush=True)


def drive(exercise: str, reps: int) -> None:
    """Once ``rehab kiosk`` has set Kivy up (offscreen, its size: ``configure_kivy``, before
    Kivy is imported), its ``kiosk.ui.app.run_app`` runs the app as before, with the
    patient beside it."""
    import kiosk.kivy_setup as setup

    configure = setup.configure_kivy

    def configure_then_drive(*args: Any, **kw: Any) -> None:
        configure(*args, **kw)
        _patch_run_app(exercise, reps)

    setup.configure_kivy = configure_then_drive


def _patch_run_app(exercise: str, reps: int) -> None:
    import kiosk.ui.app as ui

    from tests.helpers.flow_set import begin_one_set
    from tests.helpers.kiosk_touch import TEST_PIN, enter

    real = ui.run_app

    async def run_app(app: Any) -> None:
        task = asyncio.ensure_future(real(app))
        await app.first_frame.wait()
        await enter(app, TEST_PIN)
        begin_one_set(app.flow, exercise, reps, pain=2)
        app.model.run.ctl.add_listener(_print_rep)
        print("set started", flush=True)
        await task

    ui.run_app = run_app


if __name__ == "__main__":
    exercise, reps, sep, *args = sys.argv[1:]
    assert sep == "--", "usage: kiosk_driven.py EXERCISE REPS -- REHAB_KIOSK_ARGS"
    from rehab.cli import main

    drive(exercise, int(reps))
    sys.exit(main(["kiosk", *args]))
