"""A plan's one exercise by touch in the offscreen kiosk, for the sources' touch tests (the
USB bridge, the camera): the kiosk provisioned with a plan of that exercise, the taps from
Today to the instruction screen and from pain after to the summary, and what the live
screen showed (every value its labels took, not what a poll happened to catch). Import after
Kivy is configured (``kiosk.headless.prepare_env`` and ``kiosk.kivy_setup.configure_kivy``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from day_plan import every_day_plan
from kivy.core.window import Window
from tests.helpers.kiosk_touch import tap, texts, until

from therapy.plan import parse_plan


def save_plan(model: Any, exercise: dict[str, Any]) -> None:
    """A plan of ``exercise`` (a plan item: exercise_id, side, sets, reps, ...) every day,
    as the clinic would have sent it, in ``model``'s store (a kiosk provisioned with
    ``tests.helpers.kiosk_touch.provision``: PIN and installer code)."""
    plan = every_day_plan("p-touch", 1, exercise)
    model.store.save_plan(parse_plan(plan), json.dumps(plan), datetime.now(UTC))


async def drawn(frames: int = 2) -> None:
    """Wait until the window has drawn ``frames`` more frames: a screen just switched to is
    laid out (a tap right after the switch can land before its buttons have their places)."""
    seen = [0]

    def count(*_args: object) -> None:
        seen[0] += 1
    Window.bind(on_flip=count)
    try:
        await until(lambda: seen[0] >= frames, 10, f"{frames} frames drawn")
    finally:
        Window.unbind(on_flip=count)


async def to_instruction(app: Any) -> None:
    """From the PIN just entered: Today's Start, pain before 1, Continue."""
    app.flow.go("today")  # past the first-run intake (its own tests tap through it)
    await drawn()
    await tap(app, "Start")
    await tap(app, "1")
    await tap(app, "Continue")
    await until(lambda: app.sm.current == "instruction", 10, "the instruction screen")
    await drawn()


async def pain_after_to_summary(app: Any, timeout_s: float = 20) -> None:
    """On pain after: 1, Continue, and the summary."""
    assert app.sm.current == "pain", texts(app)
    await drawn()
    await tap(app, "1")
    await tap(app, "Continue")
    await until(lambda: app.sm.current == "summary", timeout_s, "the summary")


class LiveLog:
    """Every text the live screen's rep counter, last rep's ROM line, top line (the hold
    cue, or the drop-out banner) and sensor line took, in order, from the binding on."""

    def __init__(self, app: Any) -> None:
        self.reps: list[str] = []
        self.rom: list[str] = []
        self.top: list[str] = []
        self.sensors: list[str] = []
        live = app.screens["live"]
        live.reps.bind(text=lambda _w, v: self.reps.append(v))
        live.last_rom.bind(text=lambda _w, v: self.rom.append(v))
        live.hold.bind(text=lambda _w, v: self.top.append(v))
        live.sensors.bind(text=lambda _w, v: self.sensors.append(v))

    def counted(self) -> list[int]:
        """The rep counter's values, repeats dropped (a set's counter from 0)."""
        out: list[int] = []
        for v in self.reps:
            if not out or int(v) != out[-1]:
                out.append(int(v))
        return out
