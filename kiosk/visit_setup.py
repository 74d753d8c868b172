"""Putting a virtual visit together on the kiosk: one call to wire the device link, the
store, the shared camera and the speaker to a :class:`~kiosk.vm.visit.VisitVM`.

::

    kit = build_visits(link, store, hub=hub, speaker=audio_cues, data_dir=data_dir,
                       loop=asyncio.get_running_loop())
    screen = VisitScreen(kit.vm, preview=hub.subscribe("preview"), name="visit")
    ...
    kit.close()                       # detaches from the link (the kiosk is closing)

Each step of a call goes to the kiosk's audit trail in ``store`` (and so to the clinic, as
FHIR AuditEvents on the records channel). The call settings come from ``[visit]`` in rehab.toml (STUN/TURN, relay only); the
microphone and the speaker are ALSA's ``default`` unless ``settings`` says otherwise.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from pathlib import Path

from kiosk.adapters.call import AiortcCall, CallSettings, StateCallback, load_call_settings
from kiosk.vm.visit import Speaker, VisitVM
from mqtt.device import DeviceLink
from mqtt.visit import CONNECT_TIMEOUT_S, Outbound
from mqtt.visit_device import DeviceVisitSignals
from sensors.camera.hub import FrameHub
from therapy.audit import Actor, AuditKind, AuditOutcome, record_audit
from therapy.store import TherapyStore


@dataclass
class VisitKit:
    vm: VisitVM
    signals: DeviceVisitSignals
    settings: CallSettings
    calls: list[AiortcCall] = field(default_factory=list)  # every call made (newest last)

    def close(self) -> None:
        self.signals.detach()


def build_visits(link: DeviceLink, store: TherapyStore, *, hub: FrameHub, speaker: Speaker,
                 data_dir: Path, loop: asyncio.AbstractEventLoop,
                 settings: CallSettings | None = None,
                 connect_timeout_s: float = CONNECT_TIMEOUT_S) -> VisitKit:
    """The view-model listening on ``link`` (attached), calls on ``hub``'s frames."""
    if settings is None:
        settings = replace(load_call_settings(data_dir), audio_in="default",
                           audio_out="default")
    calls: list[AiortcCall] = []
    box: list[DeviceVisitSignals] = []

    def make_call(on_state: StateCallback) -> AiortcCall:
        call = AiortcCall(hub.subscribe("call"), settings, on_state=on_state)
        calls.append(call)
        return call

    def send(msg: Outbound) -> bool:
        return box[0].send(msg)

    def audit(kind: AuditKind, outcome: AuditOutcome, actor: Actor, detail: str) -> None:
        # the kiosk's own trail of each call, sent to the clinic as AuditEvents
        record_audit(store, link.cfg.device, kind, outcome, actor=actor, detail=detail)

    vm = VisitVM(make_call, send, speaker, connect_timeout_s=connect_timeout_s, audit=audit)
    signals = DeviceVisitSignals(link, store=store, public_key=link.downlink.public_key,
                                 clinic=link.cfg.clinic, device=link.cfg.device, listener=vm,
                                 loop=loop)
    box.append(signals)
    signals.attach()
    return VisitKit(vm, signals, settings, calls)
