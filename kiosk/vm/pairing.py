"""Pairing in Settings (plain Python, no Kivy): scan with the same code as ``rehab pair``
(``sensors.ble.pairing.discover`` / ``remember``), list what was found with RSSI and
battery, choose one, give it a body placement, remember it; forget a remembered one.

The scan is a coroutine the flow runs as an asyncio task on the app's one loop, so the UI
never waits for the radio; the screen redraws from :meth:`PairingVM.view` on its tick.
:meth:`PairingVM.scan` says SCANNING as soon as it is called (the screen drawn right after
the tap shows "Searching…", before the task has run a step); :meth:`PairingVM.cancel`
ends a running scan (the screen is left or the app stops) so nothing runs on afterwards.
Scanner and connector come from an injected ``ports`` callable (BlueZ + bleak on the Pi,
bumble virtual wearables in tests).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from kiosk.i18n import N_, _
from kiosk.vm.live import placement_name
from sensors.types import BodySegment

log = logging.getLogger(__name__)
SCAN_S = 5.0
LOW_BATTERY_PCT = 15
PLACEMENTS: tuple[BodySegment, ...] = tuple(s for s in BodySegment if s != BodySegment.UNKNOWN)

Ports = Callable[[], tuple[Any, Any]]  # -> (Scanner, Connector | None)
Discover = Callable[[Any, float, Any], Awaitable[list[Any]]]


async def _nothing() -> None:
    """A scan already running: the second tap's coroutine does nothing."""


class ScanState(StrEnum):
    IDLE = "idle"
    SCANNING = "scanning"
    DONE = "done"
    FAILED = "failed"


SIGNAL_WORDS = {"strong": N_("strong"), "fair": N_("fair"), "weak": N_("weak")}


def placement_label(segment: str) -> str:
    """Words a patient knows, in the kiosk's language (the stored value stays the
    BodySegment's): 'upper_arm' -> 'Upper arm', 'shank' -> 'Lower leg' (the live set's
    drop-out banner uses the same words)."""
    return placement_name(str(segment))


@dataclass(frozen=True, slots=True)
class FoundLine:
    address: str
    text: str  # name, signal, battery
    low_battery: bool
    placed_on: str  # the placement it is remembered on, or ""
    selected: bool


@dataclass(frozen=True, slots=True)
class PairedLine:
    address: str
    text: str


@dataclass(frozen=True, slots=True)
class PairingView:
    state: ScanState
    message: str
    found: tuple[FoundLine, ...]
    paired: tuple[PairedLine, ...]
    choosing: bool  # a found wearable is selected: show the placement buttons


def signal_text(rssi: int) -> str:
    word = "strong" if rssi >= -60 else "fair" if rssi >= -75 else "weak"
    return _("signal {word} ({rssi} dBm)").format(word=_(SIGNAL_WORDS[word]), rssi=rssi)


class PairingVM:
    """``registry``: a ``therapy.devices.WearableRegistry`` (remember, forget, all)."""

    def __init__(self, registry: Any, ports: Ports, *, scan_s: float = SCAN_S,
                 discover: Discover | None = None, remember: Callable[..., Any] | None = None,
                 on_change: Callable[[], None] | None = None) -> None:
        self.registry = registry
        self.ports = ports
        self.scan_s = scan_s
        self._discover = discover
        self._remember = remember
        self.on_change = on_change
        self.state = ScanState.IDLE
        self.error = ""
        self.found: list[Any] = []  # sensors.ble.pairing.Found, strongest first
        self.selected: str | None = None
        self.last_done = ""
        self._task: asyncio.Task[Any] | None = None  # the task running the scan
        self._scans = 0  # scans asked for (and cancels): a stale scan task does nothing

    # --- scanning ----------------------------------------------------------------------
    def scan(self) -> Coroutine[Any, Any, None]:
        """Scan and read batteries (the only slow part); never raises to the UI. The state is
        SCANNING from this call on; the returned coroutine does the radio work (a second
        call while scanning returns one that does nothing)."""
        if self.state == ScanState.SCANNING:
            return _nothing()
        self.state, self.error, self.selected, self.last_done = ScanState.SCANNING, "", None, ""
        self._scans += 1
        return self._scan(self._scans)

    def cancel(self) -> None:
        """End a running scan now (its task is cancelled; bleak's scanner stops on the way
        out); the view says "Search again". Nothing of the scan runs after this."""
        self._scans += 1  # a scan whose task has not started yet will not start
        task, self._task = self._task, None
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()
        if self.state == ScanState.SCANNING:
            self.state = ScanState.IDLE

    async def _scan(self, n: int) -> None:
        if n != self._scans:  # cancelled (or scanning afresh) before this task ran a step
            return
        self._task = asyncio.current_task()
        try:
            await self._discover_now()
        except asyncio.CancelledError:
            if n == self._scans and self.state == ScanState.SCANNING:
                self.state = ScanState.IDLE  # cancelled from outside (the loop closing)
            raise
        finally:
            if n == self._scans:
                self._task = None

    async def _discover_now(self) -> None:
        discover = self._discover
        if discover is None:
            from sensors.ble.pairing import discover as real_discover
            discover = real_discover
        try:
            scanner, connector = self.ports()
            self.found = list(await discover(scanner, self.scan_s, connector))
        except Exception as exc:  # noqa: BLE001 - supervised task boundary: logged, shown
            log.warning("wearable scan failed: %s", exc)
            self.found, self.error, self.state = [], str(exc) or type(exc).__name__, \
                ScanState.FAILED
            return
        self.state = ScanState.DONE

    # --- choosing and placing ------------------------------------------------------------
    def select(self, address: str) -> None:
        self.selected = None if self.selected == address else address
        self.last_done = ""

    def place(self, segment: BodySegment | str) -> str:
        """Remember the selected wearable on ``segment``; returns what was done."""
        found = next((f for f in self.found if f.advert.address == self.selected), None)
        if found is None:
            return ""
        remember = self._remember
        if remember is None:
            from sensors.ble.pairing import remember as real_remember
            remember = real_remember
        w = remember(self.registry, found, BodySegment(segment))
        self.selected = None
        self.last_done = _("{name} is now on the {placement}.").format(
            name=w.name, placement=placement_label(str(w.segment)).lower())
        self._changed()
        return self.last_done

    def forget(self, address: str) -> None:
        names = {r[0]: r[1] for r in self.registry.all()}
        self.registry.forget(address)
        self.last_done = _("Forgot {name}.").format(name=names.get(address, address))
        self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    # --- what the screen shows ------------------------------------------------------------
    def view(self) -> PairingView:
        rows = self.registry.all()
        placed = {r[0]: r[3] for r in rows}
        paired = tuple(PairedLine(a, f"{placement_label(seg)}: {name}"
                                  + ("" if batt is None else
                                     " · " + _("battery {pct}%").format(pct=batt)))
                       for a, name, _k, seg, _t, batt in rows)
        found = []
        for f in self.found:
            a, b = f.advert, f.battery_pct
            batt = _("battery ?") if b is None else _("battery {pct}%").format(pct=b)
            low = b is not None and b < LOW_BATTERY_PCT
            text = f"{a.name or a.address} · {signal_text(a.rssi)} · {batt}"
            if low:
                text += " " + _("LOW: charge it")
            found.append(FoundLine(a.address, text, low, placed.get(a.address, ""),
                                   a.address == self.selected))
        return PairingView(self.state, self._message(), tuple(found), paired,
                           self.selected is not None)

    def _message(self) -> str:
        if self.state == ScanState.SCANNING:
            return _("Looking for wearables ({s} s)… keep them switched on nearby.").format(
                s=f"{self.scan_s:g}")
        if self.state == ScanState.FAILED:
            return _("Could not search: {error}. Is Bluetooth on?").format(error=self.error)
        if self.last_done:
            return self.last_done
        if self.selected is not None:
            name = next((f.advert.name for f in self.found
                         if f.advert.address == self.selected), self.selected)
            return _("Where is {name} worn? Tap a placement.").format(name=name)
        if self.state == ScanState.DONE and not self.found:
            return _("No wearables found: switch them on and bring them within 2 m.")
        if self.state == ScanState.DONE:
            return _("Tap a wearable, then tap where it is worn.")
        return _("Tap Find wearables to search.")
