"""Glue between wearable links, the :class:`SetSupervisor` and a set controller.

A link is a BLE :class:`~sensors.ble.link.WearableLink` or anything emitting the same
:class:`~sensors.link_events.LinkEvent` s (:class:`SupervisedLink`: the USB bridge's
``firmware_bridge.source_link.BridgeLink``), so one supervisor serves every wearable. The
controller is anything with ``pause()``, ``resume()`` and ``stop()`` (the session
controller of :mod:`therapy.session`); the UI listens to :class:`SetAction`. Gaps go to a
``GapSink`` (the store) when the set ends, so they are kept with the set.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Protocol

from protocol.clock import Clock, real_seconds
from sensors.link_events import LinkEvent, LinkPolicy
from sensors.set_supervision import ActionKind, SetAction, SetGap, SetSupervisor

log = logging.getLogger(__name__)


class SupervisedLink(Protocol):
    """What the live set needs of a wearable's link: its policy, its listeners, stop."""

    policy: LinkPolicy
    listeners: list[Callable[[LinkEvent], None]]

    def stop(self) -> None: ...


class SetControl(Protocol):
    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def stop(self) -> None: ...


class GapSink(Protocol):
    def save_gaps(self, session_id: str, set_no: int, gaps: Sequence[SetGap]) -> None: ...


class LiveSet:
    def __init__(self, links: Sequence[SupervisedLink], control: SetControl, clock: Clock, *,
                 max_away_s: float | None = None, check_every_s: float = 0.5) -> None:
        self.links = list(links)
        self.control = control
        self.clock = clock
        away = max_away_s if max_away_s is not None else min(
            (lk.policy.max_away_s for lk in self.links), default=20.0)
        self.supervisor = SetSupervisor(away)
        self.check_every_s = check_every_s
        self.listeners: list[Callable[[SetAction], None]] = []
        self.actions_: list[SetAction] = []
        self._task: asyncio.Task[None] | None = None
        for lk in self.links:
            lk.listeners.append(self._on_event)

    def _apply(self, actions: list[SetAction]) -> None:
        for a in actions:
            self.actions_.append(a)
            if a.kind == ActionKind.PAUSE:
                self.control.pause()
            elif a.kind == ActionKind.RESUME:
                self.control.resume()
            elif a.kind == ActionKind.END:
                self.control.stop()
                for lk in self.links:
                    lk.stop()
            for listener in self.listeners:
                listener(a)

    def _on_event(self, ev: LinkEvent) -> None:
        self._apply(self.supervisor.on_event(ev))

    async def _watch(self) -> None:
        while not self.supervisor.ended_:
            await asyncio.sleep(real_seconds(self.clock, self.check_every_s))
            self._apply(self.supervisor.check(self.clock.now()))

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._watch())

    async def close(self, sink: GapSink | None = None, session_id: str = "",
                    set_no: int = 0) -> list[SetGap]:
        if self._task is not None:
            self._task.cancel()
        for lk in self.links:
            if self._on_event in lk.listeners:
                lk.listeners.remove(self._on_event)
        gaps = list(self.supervisor.gaps_)
        if sink is not None and gaps:
            sink.save_gaps(session_id, set_no, gaps)
        return gaps
