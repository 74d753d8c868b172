"""One wearable, kept connected: connect, start the driver, watch, reconnect with back-off.

``run()`` is the supervised task of one wearable. It emits :class:`LinkEvent` (CONNECTED,
LOST with the reason, BACK with the outage, GONE when away longer than
``policy.max_away_s``, BATTERY_LOW once below ``policy.battery_low_pct``) and puts every
chunk on ``queue``; :class:`~sensors.ble.source.BleSource` reads it. A wearable that is
silent for ``silence_timeout_s`` is treated as dropped (BlueZ can take 20 s to notice a
supervision timeout on its own).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bleak import BleakClient
from bleak.exc import BleakError
from bleak_retry_connector import BleakNotFoundError

from protocol.backoff import backoff_s
from protocol.clock import Clock, MonotonicClock, real_seconds
from sensors.ble.connector import Connector
from sensors.ble.drivers import Driver
from sensors.ble.errors import BleError, RequestCancelled
from sensors.link_events import LinkEvent, LinkEventKind, LinkPolicy
from sensors.ble.ports import Wearable
from sensors.types import ImuChunk

log = logging.getLogger(__name__)
END = None  # queue sentinel: the link has ended
DEFAULT_POLICY = LinkPolicy()
LINK_ERRORS = (BleakError, BleError, asyncio.TimeoutError, OSError, EOFError)
LATE_SLACK = 0.25  # a watch wake-up later than this share of its wait: the loop was busy
T = TypeVar("T")


async def _request(awaitable: Awaitable[T]) -> T:
    """Await a BLE request; a CancelledError that is not this task's own cancellation
    (bumble/bleak cancel the requests pending on a dropped connection) becomes a
    :class:`RequestCancelled`, which the link handles like any other lost connection."""
    try:
        return await awaitable
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is None or task.cancelling():
            raise
        raise RequestCancelled("request cancelled: connection lost") from None


def _reason(exc: BaseException) -> str:
    """A short reason for the UI (bleak-retry-connector's messages are long)."""
    if isinstance(exc, BleakNotFoundError) or "not found" in str(exc):
        return "not found: out of range or switched off"
    if isinstance(exc, asyncio.TimeoutError):
        return "no answer"
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 80 else text[:77] + "..."


class WearableLink:
    def __init__(self, wearable: Wearable, driver: Driver, connector: Connector, *,
                 clock: Clock | None = None, policy: LinkPolicy = DEFAULT_POLICY) -> None:
        self.wearable = wearable
        self.driver = driver
        self.connector = connector
        self.clock = clock or MonotonicClock()
        self.policy = policy
        self.queue: asyncio.Queue[ImuChunk | None] = asyncio.Queue()
        self.listeners: list[Callable[[LinkEvent], None]] = []
        self.events_: list[LinkEvent] = []
        self.battery_pct: int | None = None
        self.connected = False
        self.connects = 0
        self._battery_warned = False
        self._stop = asyncio.Event()
        self._dropped = asyncio.Event()
        self._client: BleakClient | None = None

    @property
    def counters(self):  # type: ignore[no-untyped-def]
        return self.driver.counters

    # ---- sink for the driver ----
    def chunk(self, chunk: ImuChunk) -> None:
        self.queue.put_nowait(chunk)

    def battery(self, pct: int) -> None:
        self.battery_pct = pct
        if pct < self.policy.battery_low_pct and not self._battery_warned:
            self._battery_warned = True
            self._emit(LinkEventKind.BATTERY_LOW, battery_pct=pct)
        elif pct >= self.policy.battery_low_pct + 5:
            self._battery_warned = False

    def _emit(self, kind: LinkEventKind, reason: str = "", away_s: float = 0.0,
              battery_pct: int | None = None) -> None:
        ev = LinkEvent(self.wearable.sensor_id, str(self.wearable.segment), kind,
                       self.clock.now(), reason, away_s, battery_pct)
        self.events_.append(ev)
        log.info("%s", ev.message())
        for listener in self.listeners:
            listener(ev)

    def stop(self) -> None:
        self._stop.set()

    def _on_disconnect(self, _client: BleakClient) -> None:
        self._dropped.set()

    async def _connect(self) -> BleakClient:
        w = self.wearable
        self._dropped.clear()
        client = await _request(self.connector.connect(w.address, w.name, self._on_disconnect))
        try:
            await _request(self.driver.start(client, self))
        except BaseException:
            await self._disconnect(client)
            raise
        return client

    async def _connect_unless_stopped(self) -> BleakClient | None:
        """:meth:`_connect`, given up when :meth:`stop` comes first (None): a connection
        attempt to a wearable that is away may take many seconds to fail."""
        if self._stop.is_set():
            return None
        attempt = asyncio.ensure_future(self._connect())
        stop = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait([attempt, stop], return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            attempt.cancel()
            raise
        finally:
            stop.cancel()
        if attempt.done():
            return attempt.result()
        attempt.cancel()  # _connect disconnects what it had opened
        with contextlib.suppress(asyncio.CancelledError, *LINK_ERRORS):
            await attempt
        return None

    async def _backoff(self, attempt: int) -> None:
        """Wait before the next attempt; :meth:`stop` ends the wait."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), backoff_s(self.policy.backoff, attempt))

    async def _disconnect(self, client: BleakClient) -> None:
        try:
            await _request(client.disconnect())
        except LINK_ERRORS as exc:
            log.debug("disconnect %s: %r", self.wearable.address, exc)

    async def _watch(self, client: BleakClient) -> str:
        """Stream until stop (returns "") or a drop (returns the reason).

        Silence is counted only while the host could have heard the wearable: when a
        round of this watch (the sync request and the wait) ends later than it should
        have (the kiosk's loop or the whole machine was busy, and notifications waited
        unread in the stack meanwhile), the silence is counted afresh from then. A
        wearable that really stops is lost after ``silence_timeout_s`` of host time with
        the loop on time."""
        p = self.policy
        heard_s = self.driver.last_rx_s  # silence is counted from here
        while True:
            if self._stop.is_set():
                return ""
            if self._dropped.is_set() or not client.is_connected:
                return "disconnected"
            now = self.clock.now()
            heard_s = max(heard_s, self.driver.last_rx_s)
            if now - heard_s > p.silence_timeout_s:
                return f"no data for {p.silence_timeout_s:.0f} s"
            try:
                await _request(self.driver.tick(client))
            except RequestCancelled:
                # The stack cancelled the request because the connection went: that is
                # the drop itself, whichever of the two the link happened to see first.
                return "disconnected"
            except LINK_ERRORS as exc:
                return f"link error: {exc}"
            stop = asyncio.ensure_future(self._stop.wait())
            drop = asyncio.ensure_future(self._dropped.wait())
            wait_s = min(p.sync_interval_s, p.silence_timeout_s / 2)
            done, _pending = await asyncio.wait([stop, drop],
                                                timeout=real_seconds(self.clock, wait_s),
                                                return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            drop.cancel()
            late_s = self.clock.now() - now - wait_s
            if not done and late_s > LATE_SLACK * wait_s:
                heard_s = max(heard_s, self.clock.now())  # the loop was away: not silence
                log.debug("%s: watch round %.2f s late (host busy): silence counted afresh",
                          self.wearable.address, late_s)

    async def run(self) -> None:
        """Keep the wearable streaming until :meth:`stop` or it stays away too long."""
        away_since: float | None = None
        reason = ""
        attempt = 0
        try:
            while not self._stop.is_set():
                try:
                    client = await self._connect_unless_stopped()
                except LINK_ERRORS as exc:
                    reason = _reason(exc)
                    now = self.clock.now()
                    if away_since is None:
                        away_since = now
                        self._emit(LinkEventKind.LOST, reason)
                    if now - away_since > self.policy.max_away_s:
                        self._emit(LinkEventKind.GONE, reason, now - away_since)
                        return
                    await self._backoff(attempt)
                    attempt += 1
                    continue
                if client is None:  # stopped while connecting
                    return
                attempt = 0
                self._client = client
                self.connected = True
                self.connects += 1
                if away_since is None:
                    self._emit(LinkEventKind.CONNECTED)
                else:
                    self._emit(LinkEventKind.BACK, reason, self.clock.now() - away_since)
                    away_since = None
                reason = await self._watch(client)
                self.connected = False
                self._client = None
                if not reason:
                    try:
                        await _request(self.driver.stop(client))
                    except LINK_ERRORS as exc:
                        log.debug("stop %s: %r", self.wearable.address, exc)
                    await self._disconnect(client)
                    return
                away_since = self.clock.now()
                self._emit(LinkEventKind.LOST, reason)
                await self._disconnect(client)
        finally:
            self.queue.put_nowait(END)
