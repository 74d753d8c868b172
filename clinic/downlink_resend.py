"""Which unacknowledged downlink items the clinic sends a device again, and when (pure).

A therapist's reply reaches the device only through the broker's persistent session
(docs/clinic-link.md, Downlink): the broker drops it for good when the device stays away
longer than its session expiry, when it restarts without persistence, or when the
session's queue is full. The device acks every item it stores (``ack-<id>``), so an item
without an ack is one the device may never have had. :class:`ResendRule` says which of a
device's unacked items go out again (same id, the same signed bytes: the device stores
an id once and acks a copy it already has again):

* on the device's birth (``status`` ``{"state": "online"}``): every one of them;
* while it stays online, at each periodic check (``check_s``): those whose last send is
  at least ``stale_s`` ago.

Oldest first, at most ``max_per_pass`` per device and pass (the next pass sends the rest).
Nothing here reads a clock or a store: the caller passes ``now`` and the items
(:mod:`clinic.resender` does, with the clinic's store and publisher).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

STALE_S = 3600.0  # unacked this long after its last send while the device is online
CHECK_S = 300.0  # how often the periodic check looks at the online devices
MAX_PER_PASS = 200


@dataclass(frozen=True, slots=True)
class Unacked:
    """An item the clinic sent ``device`` that the device has not acked yet."""

    id: str
    device: str
    first_sent: datetime  # when the therapist sent it
    last_sent: datetime  # the latest publish (the first one, or the latest resend)


@dataclass(frozen=True, slots=True)
class ResendRule:
    stale_s: float = STALE_S
    check_s: float = CHECK_S
    max_per_pass: int = MAX_PER_PASS

    def __post_init__(self) -> None:
        if self.stale_s < 0 or self.check_s <= 0 or self.max_per_pass < 1:
            raise ValueError(f"bad resend rule: {self}")

    def due(self, items: Iterable[Unacked], now: datetime, *, birth: bool) -> list[Unacked]:
        """The items to publish again now: all on a birth, the stale ones otherwise."""
        stale = timedelta(seconds=self.stale_s)
        chosen = [i for i in items if birth or now - i.last_sent >= stale]
        chosen.sort(key=lambda i: (i.first_sent, i.id))
        return chosen[:self.max_per_pass]


@dataclass(slots=True)
class ResendLog:
    """When each item was last sent again and how often (in memory: after a restart the
    first send time counts, so an item is resent at most once more than needed)."""

    last: dict[str, tuple[datetime, int]]

    @classmethod
    def empty(cls) -> ResendLog:
        return cls({})

    def last_sent(self, ident: str, first_sent: datetime) -> datetime:
        return self.last[ident][0] if ident in self.last else first_sent

    def sent_again(self, ident: str, now: datetime) -> None:
        self.last[ident] = (now, self.last.get(ident, (now, 0))[1] + 1)

    def forget(self, idents: Iterable[str]) -> None:
        """Items acked (or gone): nothing more to show or send."""
        for ident in idents:
            self.last.pop(ident, None)
