"""A call through a real TURN relay (Debian's coturn on loopback): with ``relay_only`` the
kiosk offers only relay candidates (the clinic never learns the home's address) and the
call still carries video both ways; wrong TURN credentials mean no connection, which the
kiosk's view-model turns into "cannot connect" with the reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from turn_server import PASSWORD, USER, TurnServer
from tests.helpers.visit_world import VideoSink, require_aiortc, until

from kiosk.adapters.call import AiortcCall, CallSettings, IceServer, load_call_settings
from sensors.camera.hub import FrameHub
from sensors.camera.synthetic import SyntheticFrames

pytestmark = pytest.mark.timeout(90)


async def _clinic_peer(turn_url: str) -> tuple[Any, VideoSink]:
    from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection
    from aiortc.rtcconfiguration import RTCIceTransportPolicy

    pc = RTCPeerConnection(RTCConfiguration(
        iceServers=[RTCIceServer(turn_url, USER, PASSWORD)],
        iceTransportPolicy=RTCIceTransportPolicy.RELAY))
    video = VideoSink(pc)
    pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    return pc, video


def _candidate_types(sdp: str) -> set[str]:
    return {line.split(" typ ")[1].split()[0] for line in sdp.splitlines()
            if line.startswith("a=candidate:")}


async def test_call_through_a_turn_relay_only(tmp_path: Path) -> None:
    require_aiortc()
    turn = TurnServer(tmp_path / "turn").start()
    (tmp_path / "rehab.toml").write_text(
        f'[visit]\nturn = ["{turn.url}"]\nturn_username = "{USER}"\n'
        f'turn_password = "{PASSWORD}"\nrelay_only = true\n')
    settings = load_call_settings(tmp_path)
    assert settings.relay_only and settings.ice_servers[0].urls == (turn.url,)
    hub = FrameHub(SyntheticFrames(640, 480, 15)).start()
    call = AiortcCall(hub.subscribe("call"), settings)
    pc, video = await _clinic_peer(turn.url)
    try:
        from aiortc import RTCSessionDescription

        assert _candidate_types(pc.localDescription.sdp) == {"relay"}
        answer = await call.answer(pc.localDescription.sdp)
        assert _candidate_types(answer) == {"relay"}  # no host address of the home leaves
        await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        await until(lambda: call.state == "connected", 20, "the call through TURN")
        await until(lambda: len(video.sizes) >= 15, 20, "15 frames through the relay")
        assert set(video.sizes) == {(640, 480)}
    finally:
        video.cancel()
        await call.close()
        await pc.close()
        hub.stop()
        turn.stop()
    log = turn.log_text()  # both peers allocated a relay with the configured login
    assert log.count("user <kiosk>: incoming packet ALLOCATE processed, success") >= 2


async def test_wrong_turn_password_cannot_connect_and_says_why(tmp_path: Path) -> None:
    require_aiortc()
    from kiosk.vm.visit import Phase, VisitVM
    from mqtt.visit import CallState, Offer, StateReport

    turn = TurnServer(tmp_path / "turn").start()
    hub = FrameHub(SyntheticFrames(320, 240, 15)).start()
    bad = CallSettings(ice_servers=(IceServer((turn.url,), USER, "wrong"),), relay_only=True)
    sent: list[Any] = []
    vm = VisitVM(lambda on_state: AiortcCall(hub.subscribe("call"), bad, on_state=on_state),
                 lambda m: sent.append(m) or True,
                 type("S", (), {"say": lambda self, t: None})(), connect_timeout_s=2.0)
    pc, video = await _clinic_peer(turn.url)
    try:
        from datetime import datetime, timezone

        vm.offered(Offer("call-1", "appt-1", pc.localDescription.sdp, "c1", "dev-a",
                         datetime.now(timezone.utc)))
        await vm.accept()
        await until(lambda: vm.phase == Phase.ENDED, 30, "the kiosk to give up")
        assert vm.notice.startswith("Cannot connect the video call")
        failed = [m for m in sent if isinstance(m, StateReport) and m.state == CallState.FAILED]
        assert failed and "STUN/TURN" in failed[0].reason
    finally:
        video.cancel()
        await pc.close()
        hub.stop()
        turn.stop()
