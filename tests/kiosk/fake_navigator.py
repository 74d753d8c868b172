"""Fakes for driving the flow without Kivy: the navigator (records what the app would have
shown) and a monotonic clock the test moves by hand."""

from __future__ import annotations

from typing import Any


class Screens:
    """The navigator's fake: the screens shown (name, top bar) in order, the screens
    redrawn, and the camera preview the app would show."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, bool]] = []
        self.redrawn: list[str] = []
        self.camera: Any = None

    def show(self, name: str, bar: bool) -> None:
        self.shown.append((name, bar))

    def redraw(self, name: str) -> None:
        self.redrawn.append(name)

    def status(self) -> None:
        pass

    def rebuild(self) -> None:
        pass

    def show_camera(self, worker: Any, vm: Any) -> None:
        self.camera = worker

    def close_camera(self) -> None:
        self.camera = None


class Monotonic:
    """A monotonic clock a test sets (``t``, seconds)."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t
