"""What a wearable link (BLE or the USB bridge) tells the rest of the kiosk (the UI shows these),
and its reconnect policy. Transport-neutral: both transports import it, neither imports the other."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from protocol.backoff import BackoffPolicy

BATTERY_LOW_PCT = 15
LINK_BACKOFF = BackoffPolicy(initial_s=0.25, factor=2.0, max_s=2.0)


class LinkEventKind(StrEnum):
    CONNECTED = "connected"  # first connection, streaming
    LOST = "lost"  # dropped (or never found); reconnecting with back-off
    BACK = "back"  # streaming again after LOST
    GONE = "gone"  # away longer than max_away_s: the link gives up
    BATTERY_LOW = "battery_low"


@dataclass(frozen=True, slots=True)
class LinkEvent:
    sensor_id: str
    segment: str
    kind: LinkEventKind
    at_s: float  # host clock
    reason: str = ""
    away_s: float = 0.0  # for BACK and GONE: how long it was away
    battery_pct: int | None = None

    def message(self) -> str:
        """One line for the UI: which sensor and why."""
        who = f"{self.segment} sensor"
        match self.kind:
            case LinkEventKind.LOST:
                return f"{who} lost ({self.reason}); reconnecting"
            case LinkEventKind.BACK:
                return f"{who} back after {self.away_s:.1f} s"
            case LinkEventKind.GONE:
                return f"{who} away for {self.away_s:.0f} s ({self.reason}): set ended"
            case LinkEventKind.BATTERY_LOW:
                return f"{who} battery low ({self.battery_pct} %): charge it after this set"
            case _:
                return f"{who} connected"


@dataclass(frozen=True, slots=True)
class LinkPolicy:
    """Reconnect and liveness policy (host-clock seconds, except back-off: real seconds)."""

    backoff: BackoffPolicy = LINK_BACKOFF
    max_away_s: float = 20.0
    sync_interval_s: float = 1.0
    silence_timeout_s: float = 2.0
    battery_low_pct: int = BATTERY_LOW_PCT
