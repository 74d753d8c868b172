"""A virtual visit on loopback: the shipped Mosquitto config with script-made logins (TLS,
ACL), a kiosk (store, device link, visit signalling, view-model, aiortc call on a shared
synthetic camera) and a clinic (relay plus an aiortc peer standing in for the browser)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from tests.helpers.link_helpers import write_toml  # noqa: E402
from tests.helpers.shipped_broker import Shipped, shipped_broker  # noqa: E402

from clinic.visit import ClinicVisitRelay  # noqa: E402
from kiosk.adapters.call import AiortcCall, CallSettings  # noqa: E402
from kiosk.visit_setup import build_visits  # noqa: E402
from kiosk.vm.visit import VisitVM  # noqa: E402
from mqtt.config import load_config  # noqa: E402
from mqtt.device import DeviceLink  # noqa: E402
from mqtt.visit import HangUp  # noqa: E402
from mqtt.visit_device import DeviceVisitSignals  # noqa: E402
from sensors.camera.hub import FrameHub  # noqa: E402
from sensors.camera.synthetic import SyntheticFrames  # noqa: E402
from therapy.records import Appointment, new_id  # noqa: E402
from therapy.signing import new_private_key, public_key_to_b64  # noqa: E402
from therapy.store import TherapyStore  # noqa: E402

CLINIC, DEVICE = "c1", "dev-a"
BROWSER_W, BROWSER_H = 320, 240  # the therapist's camera (differs from the kiosk's 640x480)


def require_aiortc() -> None:
    try:
        import aiortc  # noqa: F401
    except ImportError:
        import pytest

        pytest.fail("aiortc not installed: pip install -e '.[test]' (the visit extra)")


async def until(cond: Callable[[], Any], timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


class Speaker:
    def __init__(self) -> None:
        self.said: list[str] = []

    def say(self, text: str) -> None:
        self.said.append(text)


class VideoSink:
    """Reads every video track an aiortc peer receives, to its end: each frame's
    (width, height) in ``sizes``. ``cancel()`` stops the readers (before closing the peer)."""

    def __init__(self, pc: Any) -> None:
        self.sizes: list[tuple[int, int]] = []
        self._tasks: list[asyncio.Task[None]] = []
        pc.on("track", self._on_track)

    def _on_track(self, track: Any) -> None:
        if track.kind == "video":
            self._tasks.append(asyncio.ensure_future(self._read(track)))

    async def _read(self, track: Any) -> None:
        from aiortc.mediastreams import MediaStreamError

        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.sizes.append((frame.width, frame.height))

    def cancel(self) -> None:
        for t in self._tasks:
            t.cancel()


class Browser:
    """The therapist's browser, stood in by aiortc: a 320x240 synthetic camera, silence."""

    def __init__(self, relay: ClinicVisitRelay) -> None:
        from aiortc import RTCConfiguration, RTCPeerConnection

        self.relay = relay
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.video = VideoSink(self.pc)

    @property
    def frames(self) -> int:
        return len(self.video.sizes)

    @property
    def size(self) -> tuple[int, int] | None:
        return self.video.sizes[-1] if self.video.sizes else None

    async def make_offer(self) -> str:
        from aiortc import VideoStreamTrack
        from aiortc.mediastreams import AudioStreamTrack
        from av import VideoFrame

        source = SyntheticFrames(BROWSER_W, BROWSER_H, 15, paced=False)

        class Camera(VideoStreamTrack):  # type: ignore[misc]
            async def recv(self) -> Any:
                pts, time_base = await self.next_timestamp()
                got = source.read()
                assert got is not None
                frame = VideoFrame.from_ndarray(got[1], format="bgr24")
                frame.pts, frame.time_base = pts, time_base
                return frame

        self.pc.addTrack(Camera())
        self.pc.addTrack(AudioStreamTrack())
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return str(self.pc.localDescription.sdp)

    async def accept_answer(self, sdp: str) -> None:
        from aiortc import RTCSessionDescription

        await self.pc.setRemoteDescription(RTCSessionDescription(sdp, "answer"))

    async def close(self) -> None:
        self.video.cancel()
        await self.pc.close()


@dataclass
class VisitWorld:
    shipped: Shipped
    store: TherapyStore
    link: DeviceLink
    hub: FrameHub
    vm: VisitVM
    signals: DeviceVisitSignals
    relay: ClinicVisitRelay
    speaker: Speaker
    appointment: str
    calls: list[AiortcCall] = field(default_factory=list)
    relay_events: list[tuple[str, Any]] = field(default_factory=list)

    async def stop(self) -> None:
        if self.vm.call is not None:
            await self.vm.call.close()
        self.signals.detach()
        self.link.stop()
        self.relay.stop()
        self.hub.stop()
        self.shipped.broker.stop()


async def start_world(tmp: Path, *, appointment_start: datetime | None = None,
                      connect_timeout_s: float = 15.0,
                      settings: CallSettings | None = CallSettings()) -> VisitWorld:
    """``settings`` None: the kiosk's defaults (rehab.toml [visit], ALSA "default"
    microphone and speaker, which this VM lacks: silence is sent, the voice dropped)."""
    require_aiortc()
    shipped = shipped_broker(tmp / "broker", {
        "dev": ["device", "--clinic", CLINIC, "--device", DEVICE],
        "visit": ["clinic", "--clinic", CLINIC, "--user", f"{CLINIC}-visit"]})
    key = new_private_key()
    write_toml(tmp / "dev", **shipped.toml("dev"),
               clinic_public_key=public_key_to_b64(key.public_key()))
    store = TherapyStore(tmp / "dev" / "rehab.db")
    appt = new_id()
    start = appointment_start or datetime.now(timezone.utc) - timedelta(minutes=5)
    store.save_appointment(Appointment(appt, start, 30))
    link = DeviceLink(load_config(tmp / "dev"), store)
    hub = FrameHub(SyntheticFrames(640, 480, 15)).start()
    speaker = Speaker()
    # the kiosk's own wiring (kiosk/visit_setup.py)
    kit = build_visits(link, store, hub=hub, speaker=speaker, data_dir=tmp / "dev",
                       loop=asyncio.get_running_loop(), settings=settings,
                       connect_timeout_s=connect_timeout_s)
    vm, signals, world_calls = kit.vm, kit.signals, kit.calls
    link.start()
    events: list[tuple[str, Any]] = []
    relay = ClinicVisitRelay(shipped.broker_config("visit", tmp), CLINIC, key,
                             on_event=lambda d, m: events.append((d, m)))
    relay.start()
    await until(lambda: link.connected.is_set() and relay.connected.is_set(), 15,
                "device and clinic relay to connect")
    await asyncio.sleep(0.2)  # SUBACKs
    world = VisitWorld(shipped, store, link, hub, vm, signals, relay, speaker, appt,
                       world_calls, events)
    return world


async def connect_call(world: VisitWorld, browser: Browser) -> str:
    """Offer from the browser, the patient says yes, the answer back: connected both ends."""
    offer = await browser.make_offer()
    call = world.relay.offer(DEVICE, world.appointment, offer)
    await until(lambda: world.vm.phase == "ringing", 10, "the kiosk to ring")
    assert not world.vm.camera_on  # nothing on before the patient's yes
    await world.vm.accept()
    sdp = await asyncio.to_thread(world.relay.wait_answer, call.call)
    await browser.accept_answer(sdp)
    await until(lambda: world.vm.phase == "in_call", 15, "the kiosk to be in the call")
    await until(lambda: browser.pc.connectionState == "connected", 15, "the browser to connect")
    return call.call


def hung_up_on_clinic(world: VisitWorld, call: str) -> bool:
    return any(isinstance(m, HangUp) and m.call == call for _d, m in world.relay_events)


def frame_is_synthetic(rgb: np.ndarray) -> bool:
    """The synthetic camera's bright block survives the codec."""
    return bool(rgb.max() > 200)


