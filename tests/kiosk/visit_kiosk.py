"""A kiosk flow with video visits attached, without Kivy (the fake call adapter): what the
visit wiring and back-to-the-visit tests build; its calls, what the visit VM sent, the
clock and the navigator's record, for the test to drive and check."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fake_navigator import Monotonic, Screens
from flow_helpers import CODE, PIN, silent_audio, unlock
from kiosk.adapters.call import FakeCall
from kiosk.adapters.sources import SimSourceFactory
from kiosk.model import KioskModel
from kiosk.settings import load_settings, save_settings
from kiosk.vm.flow import KioskFlow
from kiosk.vm.visit import VisitVM
from mqtt.visit import Offer
from therapy.ports import FakeClock

from tests.helpers.fake_visit import FakeVisit


@dataclasses.dataclass
class Kiosk:
    flow: KioskFlow
    model: KioskModel
    vm: VisitVM
    calls: list[FakeCall]
    sent: list[Any]
    mono: Monotonic
    screens: Screens


def kiosk(data: Path) -> Kiosk:
    data.mkdir(parents=True)
    save_settings(data, load_settings(data).with_pin(PIN).with_code(CODE))
    mono = Monotonic()
    model = KioskModel(data, sources=SimSourceFactory(speed=60.0), monotonic=mono,
                       clock=FakeClock(datetime.now(UTC)))
    visit = FakeVisit()
    screens = Screens()
    flow = KioskFlow(model, screens, silent_audio())
    flow.attach_visits(visit.vm)  # what the app does with build_visits(...).vm
    return Kiosk(flow, model, visit.vm, visit.calls, visit.sent, mono, screens)


def offer(n: int) -> Offer:
    return Offer(f"call-{n}", f"appt-{n}", "v=0\r\n", "c1", "dev-a", datetime.now(UTC))


async def in_call(k: Kiosk, n: int) -> None:
    """Unlock, take the clinic's call ``call-n`` and connect it: the patient is in the call."""
    unlock(k.flow)
    k.vm.offered(offer(n))
    await k.vm.accept()
    k.calls[0].connect()
