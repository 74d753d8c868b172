"""Waiting, inside a test's event loop, for something the code under test does in its own
time (a frame drawn, a rep counted, a screen switched). Kivy-free."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(cond: Callable[[], bool], timeout_s: float, what: str,
                tick: Callable[[], None] = lambda: None) -> None:
    """Wait for ``cond``, failing the test with ``what`` after ``timeout_s``; ``tick`` is
    called between looks (the Kivy-free flow tests tick the flow's frame clock there, as the
    app would)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout_s
    while not cond():
        assert loop.time() < end, f"timed out waiting for {what}"
        tick()
        await asyncio.sleep(0.02)
