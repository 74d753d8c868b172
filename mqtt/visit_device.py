"""The device end of visit signalling: ``visit/in`` from the link to a listener, replies up.

::

    signals = DeviceVisitSignals(link, listener=vm, loop=asyncio.get_running_loop())
    signals.attach()          # link.visit_handler = signals.on_payload

Runs on paho's network thread: the payload is checked (:mod:`mqtt.visit`: size first,
then fields; the offer's signature, device, appointment and window), then handed to the
listener on the asyncio loop with ``call_soon_threadsafe`` (the kiosk's view-model lives
there). A refused offer is answered on ``visit/out`` at once with its code and reason and
the listener is told too, so both sides say why. A malformed message raises
:class:`~mqtt.inbound.InboundRejected` for the link to count and log.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable, Protocol

from mqtt.visit import (
    Inbound,
    Offer,
    Outbound,
    Refused,
    VisitRefused,
    encode,
    is_envelope,
    open_offer,
    parse_in,
)
from therapy.ports import SystemClock, WallClock
from therapy.store import TherapyStore

log = logging.getLogger(__name__)


class VisitListener(Protocol):
    """The kiosk's side (kiosk.vm.visit.VisitVM); called on the asyncio loop."""

    def offered(self, offer: Offer) -> None: ...

    def refused(self, refusal: Refused) -> None: ...

    def signal(self, msg: Inbound) -> None: ...


class VisitLink(Protocol):
    """What the signalling needs of mqtt.device.DeviceLink."""

    visit_handler: Callable[[bytes], None] | None

    def publish_visit(self, payload: bytes) -> bool: ...


class DeviceVisitSignals:
    def __init__(self, link: VisitLink, *, store: TherapyStore, public_key: object,
                 clinic: str, device: str, listener: VisitListener,
                 loop: asyncio.AbstractEventLoop, clock: WallClock | None = None) -> None:
        self.link = link
        self.store = store
        self.public_key = public_key  # Ed25519PublicKey or None (DeviceLink.downlink.public_key)
        self.clinic, self.device = clinic, device
        self.listener = listener
        self.loop = loop
        self.clock: WallClock = clock or SystemClock()
        self.refusals: list[Refused] = []  # what this device refused (tests, the log)

    def attach(self) -> None:
        self.link.visit_handler = self.on_payload

    def detach(self) -> None:
        self.link.visit_handler = None

    def send(self, msg: Outbound) -> bool:
        """A reply on visit/out; False when the link is down (the call cannot go on)."""
        return self.link.publish_visit(encode(msg))

    def on_payload(self, payload: bytes) -> None:
        """paho's network thread: check, answer a refusal, hand the rest to the loop."""
        if is_envelope(payload):
            try:
                offer = open_offer(payload, self.public_key,  # type: ignore[arg-type]
                                   clinic=self.clinic, device=self.device,
                                   now=self.clock.now(), appointments=self.store.appointments())
            except VisitRefused as exc:
                refusal = Refused(exc.call, exc.code, exc.reason)
                log.warning("refused a visit offer (%s): %s", exc.code, exc.reason)
                self.refusals.append(refusal)
                self.send(refusal)
                self.loop.call_soon_threadsafe(self.listener.refused, refusal)
                return
            self.loop.call_soon_threadsafe(self.listener.offered, offer)
            return
        msg = parse_in(payload)  # InboundRejected: counted by the link
        self.loop.call_soon_threadsafe(self.listener.signal, msg)
