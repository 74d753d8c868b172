"""A wired wearable's link as the set supervisor sees a BLE wearable's: the same events.

The serial bridge reconnects by itself (:class:`~firmware_bridge.session.BridgeSession`:
reopen with back-off, handshake again). This turns its up/down reports into the
:class:`~sensors.link_events.LinkEvent` s a :class:`~sensors.ble.link.WearableLink` emits
(CONNECTED, LOST with the reason, BACK after the outage), so one
:class:`~sensors.live_set.LiveSet` supervises both kinds: the set pauses while the cable is
out, resumes when the port is back, and ends with what was done when it stays away longer
than ``policy.max_away_s`` (the supervisor's own check gives that GONE); every outage is a
gap saved with the set. Reports come from the session thread; :meth:`from_thread` hands
them to the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import NamedTuple

from protocol.clock import Clock
from sensors.link_events import LinkEvent, LinkEventKind, LinkPolicy

log = logging.getLogger(__name__)
REASON_MAX = 80  # characters of the port's error kept as the reason the UI may show


class WiredWearable(NamedTuple):
    """Who the link is, as the supervisor and the live screen name it."""

    sensor_id: str  # "serial:/dev/rehab-imu0"
    segment: str  # the body segment it is placed on
    name: str


class BridgeLink:
    """Results: ``connected``, ``connects``, ``events_``, ``battery_pct`` (read from
    ``battery``, the session's figures, when given)."""

    def __init__(self, wearable: WiredWearable, clock: Clock, policy: LinkPolicy,
                 battery: Callable[[], int | None] = lambda: None) -> None:
        self.wearable = wearable
        self.clock = clock
        self.policy = policy
        self.listeners: list[Callable[[LinkEvent], None]] = []
        self.events_: list[LinkEvent] = []
        self.connected = False
        self.connects = 0
        self._battery = battery
        self._away_since: float | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stoppers: list[Callable[[], None]] = []

    @property
    def battery_pct(self) -> int | None:
        return self._battery()

    def bind(self, loop: asyncio.AbstractEventLoop, stop: Callable[[], None]) -> None:
        """The loop events are delivered on, and how :meth:`stop` ends the stream (the
        source calls this as it starts)."""
        self._loop = loop
        self._stoppers.append(stop)

    def from_thread(self, up: bool, why: str) -> None:
        """The session thread's report, handed to the event loop."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self.update, up, why)
            except RuntimeError:  # the loop closed meanwhile: nobody is listening
                pass

    def update(self, up: bool, why: str = "") -> None:
        """Up after a handshake, or down with the reason (on the event loop)."""
        now = self.clock.now()
        if up:
            self.connected = True
            self.connects += 1
            if self._away_since is not None:
                away, self._away_since = now - self._away_since, None
                self._emit(LinkEventKind.BACK, "", away)
            elif self.connects == 1:
                self._emit(LinkEventKind.CONNECTED)
            return
        self.connected = False
        if self._away_since is None:  # the first fault of an outage (retries are quiet)
            self._away_since = now
            self._emit(LinkEventKind.LOST, (why or "unplugged")[:REASON_MAX])

    def _emit(self, kind: LinkEventKind, reason: str = "", away_s: float = 0.0) -> None:
        w = self.wearable
        ev = LinkEvent(w.sensor_id, w.segment, kind, self.clock.now(), reason, away_s)
        self.events_.append(ev)
        log.info("%s", ev.message())
        for listener in list(self.listeners):
            listener(ev)

    def stop(self) -> None:
        """End the stream (the set is over, or the supervisor gave up on the cable)."""
        for stop in self._stoppers:
            stop()
