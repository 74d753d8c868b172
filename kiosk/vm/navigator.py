"""What the kiosk's flow (:mod:`kiosk.vm.flow`) needs from the world, as ports: a
:class:`Navigator` that shows screens (the Kivy app; a recording fake in the tests),
:class:`Cues` (spoken cues and the chime) and ``run_blocking`` (work off the UI thread)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
RunBlocking = Callable[[Callable[[], Any]], Awaitable[Any]]


class Navigator(Protocol):
    """What the flow asks of the screen side (Kivy's ScreenManager in the app)."""

    def show(self, name: str, bar: bool) -> None:
        """Put screen ``name`` up, drawn from its view-model, the top bar shown or not."""

    def redraw(self, name: str) -> None:
        """Draw screen ``name`` again from its view-model (its data changed)."""

    def status(self) -> None:
        """Update the top bar (title, unread badge) and the status strip."""

    def rebuild(self) -> None:
        """Build every screen again (the text size changed); the flow then shows one."""

    def show_camera(self, worker: Any, vm: Any) -> None:
        """Put the camera preview up: ``worker`` a started camera, ``vm`` its check."""

    def close_camera(self) -> None:
        """Take the camera preview down (the flow stops the worker)."""


class Cues(Protocol):
    """Spoken cues and the reminder chime (``kiosk.adapters.audio.AudioCues``)."""

    def say(self, text: str) -> None: ...

    def chime(self) -> None: ...

    def configure(self, enabled: bool, volume: float) -> None: ...


def in_executor(fn: Callable[[], T]) -> Awaitable[T]:
    """The default ``run_blocking``: the running loop's default executor."""
    return asyncio.get_running_loop().run_in_executor(None, fn)
