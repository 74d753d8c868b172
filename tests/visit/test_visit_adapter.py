"""The aiortc call adapter answers what the offer has: a therapist without a microphone
offers video only (the kiosk's answer failed with "None is not in list" when it added
its audio track anyway); a bad offer is a CallError saying so."""

from __future__ import annotations

from typing import Any

import pytest
from tests.helpers.visit_world import require_aiortc

from kiosk.adapters.call import AiortcCall, CallError
from sensors.camera.hub import FrameHub
from sensors.camera.synthetic import SyntheticFrames

pytestmark = pytest.mark.timeout(30)


async def _answer(kinds: tuple[str, ...]) -> str:
    from aiortc import RTCConfiguration, RTCPeerConnection

    pc: Any = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    for kind in kinds:
        pc.addTransceiver(kind, direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    hub = FrameHub(SyntheticFrames(64, 48, 15, paced=False))
    call = AiortcCall(hub.subscribe("call"))
    try:
        return await call.answer(pc.localDescription.sdp)
    finally:
        await call.close()
        await pc.close()


@pytest.mark.parametrize("kinds", [("video",), ("audio",), ("video", "audio")])
async def test_answer_has_the_offered_kinds_only(kinds: tuple[str, ...]) -> None:
    require_aiortc()
    sdp = await _answer(kinds)
    media = [line.split()[0][2:] for line in sdp.splitlines() if line.startswith("m=")]
    assert media == list(kinds)


async def test_an_offer_that_is_not_sdp_is_a_call_error() -> None:
    require_aiortc()
    hub = FrameHub(SyntheticFrames(64, 48, 15, paced=False))
    call = AiortcCall(hub.subscribe("call"))
    with pytest.raises(CallError, match="could not be used"):
        await call.answer("v=0\r\nm=video nonsense\r\n")
    assert call.state == "closed" and hub.subscribers == []
