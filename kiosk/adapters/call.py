"""The kiosk's end of a virtual visit's media: a WebRTC peer (aiortc) and a fake.

:class:`CallAdapter` is the port the view-model (:mod:`kiosk.vm.visit`) drives: answer the
clinic's offer, add trickled ICE candidates, report the connection state, hand the newest
remote video frame to the screen, close. :class:`AiortcCall` sends the shared camera's
frames (a :class:`~sensors.camera.hub.FrameHub` subscriber, paced to ``fps``) and the
microphone (ALSA through PyAV, or silence without one), decodes the therapist's video and
plays the voice (ALSA) or drops it. Media are DTLS-SRTP encrypted end to end, as WebRTC
requires. ICE: host candidates always; STUN/TURN from ``[visit]`` in rehab.toml
(:func:`load_ice_servers`; docs/visits.md). aiortc is the ``visit`` extra
(``pip install 'rehab-kiosk[visit]'``); it is imported only when a call is made.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from kiosk.errors import KioskError
from mqtt.visit import Ice

log = logging.getLogger(__name__)
VIDEO_CLOCK_HZ = 90_000
StateCallback = Callable[[str], None]  # "connecting", "connected", "failed", "closed"


class CallError(KioskError):
    """The call could not be set up (the message says why, for the screen and the clinic)."""


@dataclass(frozen=True, slots=True)
class IceServer:
    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None


@dataclass(frozen=True, slots=True)
class CallSettings:
    ice_servers: tuple[IceServer, ...] = ()  # none: host candidates only (a LAN)
    relay_only: bool = False  # only TURN relay candidates: the clinic never sees the home's IP
    width: int = 640
    height: int = 480
    fps: float = 15.0
    audio_in: str | None = None  # ALSA capture device ("default"); None: send silence
    audio_out: str | None = None  # ALSA playback device; None: the voice is dropped
    extra: dict[str, Any] = field(default_factory=dict)


def load_ice_servers(data_dir: Path) -> tuple[IceServer, ...]:
    """``[visit]`` of rehab.toml: ``stun = ["stun:host:3478"]``, ``turn = ["turn:host:3478"]``,
    ``turn_username``, ``turn_password``. Missing file or table: host candidates only."""
    path = data_dir / "rehab.toml"
    if not path.exists():
        return ()
    try:
        table = tomllib.loads(path.read_text()).get("visit", {})
    except tomllib.TOMLDecodeError as exc:
        raise CallError(f"{path}: not valid TOML ({exc})") from exc
    if not isinstance(table, dict):
        raise CallError(f"{path}: [visit] must be a table")
    servers: list[IceServer] = []
    for key in ("stun", "turn"):
        urls = table.get(key, [])
        urls = [urls] if isinstance(urls, str) else urls
        if not isinstance(urls, list) or not all(
                isinstance(u, str) and u.startswith(("stun:", "turn:", "turns:")) for u in urls):
            raise CallError(f"{path}: [visit] {key} must be a list of {key}: URLs")
        if urls and key == "turn":
            user, pw = table.get("turn_username"), table.get("turn_password")
            if not isinstance(user, str) or not isinstance(pw, str):
                raise CallError(f"{path}: [visit] turn needs turn_username and turn_password")
            servers.append(IceServer(tuple(urls), user, pw))
        elif urls:
            servers.append(IceServer(tuple(urls)))
    return tuple(servers)


def load_call_settings(data_dir: Path) -> CallSettings:
    """:class:`CallSettings` from ``[visit]`` of rehab.toml: the ICE servers
    (:func:`load_ice_servers`) and ``relay_only = true`` (needs a ``turn`` server)."""
    servers = load_ice_servers(data_dir)
    path = data_dir / "rehab.toml"
    table = tomllib.loads(path.read_text()).get("visit", {}) if path.exists() else {}
    relay = table.get("relay_only", False)
    if not isinstance(relay, bool):
        raise CallError(f"{path}: [visit] relay_only must be true or false")
    if relay and not any(s.username for s in servers):
        raise CallError(f"{path}: [visit] relay_only needs a turn server")
    return CallSettings(ice_servers=servers, relay_only=relay)


class CallAdapter(Protocol):
    state: str
    remote_frames_: int
    remote_size_: tuple[int, int] | None
    on_state: StateCallback | None

    @property
    def sent_frames_(self) -> int: ...

    async def answer(self, offer_sdp: str) -> str: ...

    async def add_ice(self, ice: Ice) -> None: ...

    def latest_remote(self) -> np.ndarray | None: ...

    async def close(self) -> None: ...


class FrameFeed(Protocol):
    """The newest camera frame without waiting (sensors.camera.hub.Subscriber)."""

    def latest(self) -> tuple[float, np.ndarray] | None: ...

    def close(self) -> None: ...


def _hub_track(feed: FrameFeed, width: int, height: int, fps: float) -> Any:
    from aiortc import VideoStreamTrack
    from av import VideoFrame

    class HubVideoTrack(VideoStreamTrack):  # type: ignore[misc]
        """The shared camera's newest frame every 1/fps s (the last one again if none)."""

        def __init__(self) -> None:
            super().__init__()
            self._blank = np.zeros((height, width, 3), np.uint8)
            self._t0: float | None = None
            self.n = 0

        async def recv(self) -> Any:
            if self._t0 is None:
                self._t0 = time.monotonic()
            else:
                self.n += 1
                wait = self._t0 + self.n / fps - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
            # off the event loop (the kiosk's UI thread): a live camera's newest frame is
            # decoded by whoever takes it first (sensors.camera.lazy_frame), 3-9 ms on a Pi
            got = await asyncio.to_thread(feed.latest)
            if got is not None:
                self._blank = got[1]
            frame = VideoFrame.from_ndarray(self._blank, format="bgr24")
            frame.pts = int(self.n * VIDEO_CLOCK_HZ / fps)
            frame.time_base = fractions.Fraction(1, VIDEO_CLOCK_HZ)
            return frame

        def stop(self) -> None:
            super().stop()
            feed.close()

    return HubVideoTrack()


class AiortcCall:
    """One call; ``feed`` is this call's subscription to the shared camera."""

    def __init__(self, feed: FrameFeed, settings: CallSettings = CallSettings(), *,
                 on_state: StateCallback | None = None) -> None:
        try:
            import aiortc  # noqa: F401
        except ImportError as exc:
            raise CallError("video calls need the visit extra: "
                            "pip install 'rehab-kiosk[visit]'") from exc
        self.feed = feed
        self.settings = settings
        self.on_state = on_state
        self.state = "new"
        self.remote_frames_ = 0
        self.remote_audio_frames_ = 0
        self.remote_size_: tuple[int, int] | None = None
        self._remote: Any = None  # newest av.VideoFrame, converted when asked for
        self._pc: Any = None
        self._video: Any = None
        self._tasks: list[asyncio.Task[None]] = []
        self._player: Any = None
        self._recorder: Any = None

    @property
    def sent_frames_(self) -> int:
        return 0 if self._video is None else self._video.n + (self._video._t0 is not None)

    def _set_state(self, state: str) -> None:
        if state == self.state:
            return
        self.state = state
        if self.on_state is not None:
            self.on_state(state)

    async def answer(self, offer_sdp: str) -> str:
        from aiortc import (RTCConfiguration, RTCIceServer, RTCPeerConnection,
                            RTCSessionDescription)
        from aiortc.mediastreams import AudioStreamTrack
        from aiortc.exceptions import InvalidAccessError, InvalidStateError
        from aiortc.rtcconfiguration import RTCIceTransportPolicy

        servers = [RTCIceServer(list(s.urls), s.username, s.credential)
                   for s in self.settings.ice_servers]
        # [] not None: None makes aiortc ask Google's public STUN server
        policy = RTCIceTransportPolicy.RELAY if self.settings.relay_only \
            else RTCIceTransportPolicy.ALL
        pc = self._pc = RTCPeerConnection(RTCConfiguration(iceServers=servers,
                                                           iceTransportPolicy=policy))
        pc.on("connectionstatechange", lambda: self._set_state(pc.connectionState))
        pc.on("track", self._on_track)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
            s = self.settings
            kinds = {t.kind for t in pc.getTransceivers()}  # only what the offer has lines for
            if "video" in kinds:
                self._video = _hub_track(self.feed, s.width, s.height, s.fps)
                pc.addTrack(self._video)
            if "audio" in kinds:
                pc.addTrack(self._microphone() or AudioStreamTrack())
            await pc.setLocalDescription(await pc.createAnswer())
        except (ValueError, AttributeError, KeyError, AssertionError,  # aiortc's SDP parser
                InvalidAccessError, InvalidStateError) as exc:  # asserts on a bad m= line
            await self.close()
            raise CallError(f"the clinic's call offer could not be used: {exc}") from exc
        self._set_state("connecting")
        return str(pc.localDescription.sdp)

    def _microphone(self) -> Any:
        if not self.settings.audio_in:
            return None
        from aiortc.contrib.media import MediaPlayer

        try:
            self._player = MediaPlayer(self.settings.audio_in, format="alsa")
        except Exception as exc:  # noqa: BLE001 - PyAV raises many types; the call goes on
            log.warning("microphone %s not available (%s): sending silence",
                        self.settings.audio_in, exc.__class__.__name__)
            return None
        return self._player.audio

    def _on_track(self, track: Any) -> None:
        if track.kind == "video":
            self._tasks.append(asyncio.ensure_future(self._consume_video(track)))
        elif self.settings.audio_out:
            self._tasks.append(asyncio.ensure_future(self._play_voice(track)))
        else:
            self._tasks.append(asyncio.ensure_future(self._consume_audio(track)))

    async def _play_voice(self, track: Any) -> None:
        """The therapist's voice to ALSA; without a usable device it is dropped (logged)."""
        from aiortc.contrib.media import MediaRecorder

        try:
            self._recorder = MediaRecorder(self.settings.audio_out, format="alsa")
            self._recorder.addTrack(track)
            await self._recorder.start()
        except Exception as exc:  # noqa: BLE001 - PyAV raises many types; the call goes on
            log.warning("speaker %s not available (%s): the therapist's voice is not played",
                        self.settings.audio_out, exc.__class__.__name__)
            self._recorder = None
            await self._consume_audio(track)

    async def _consume_video(self, track: Any) -> None:
        from aiortc.mediastreams import MediaStreamError

        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self._remote = frame
            self.remote_frames_ += 1
            self.remote_size_ = (frame.width, frame.height)

    async def _consume_audio(self, track: Any) -> None:
        from aiortc.mediastreams import MediaStreamError

        while True:
            try:
                await track.recv()
            except MediaStreamError:
                return
            self.remote_audio_frames_ += 1

    async def add_ice(self, ice: Ice) -> None:
        if self._pc is None or not ice.candidate:
            return
        from aiortc.sdp import candidate_from_sdp

        text = ice.candidate.removeprefix("candidate:")
        try:
            cand = candidate_from_sdp(text)
        except (ValueError, IndexError) as exc:
            log.warning("ignored an ICE candidate that does not parse (%s)", exc)
            return
        cand.sdpMid, cand.sdpMLineIndex = ice.sdp_mid, ice.sdp_mline_index
        await self._pc.addIceCandidate(cand)

    def latest_remote(self) -> np.ndarray | None:
        """The therapist's newest frame as RGB (H x W x 3), or None before the first."""
        frame = self._remote
        return None if frame is None else frame.to_ndarray(format="rgb24")

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._recorder is not None:
            await self._recorder.stop()
        if self._pc is not None:
            await self._pc.close()
        if self._video is not None:
            self._video.stop()
        else:
            self.feed.close()
        if self._player is not None and self._player.audio is not None:
            self._player.audio.stop()
        self._set_state("closed")


class FakeCall:
    """A call the test drives: ``connect()``, ``fail()``, ``push_remote(frame)``."""

    ANSWER = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=fake\r\nt=0 0\r\n"

    def __init__(self, *, on_state: StateCallback | None = None,
                 fail_answer: str | None = None) -> None:
        self.on_state = on_state
        self.fail_answer = fail_answer
        self.state = "new"
        self.remote_frames_ = 0
        self.remote_size_: tuple[int, int] | None = None
        self.sent_frames_ = 0
        self.offers: list[str] = []
        self.ice: list[Ice] = []
        self._remote: np.ndarray | None = None

    def _set(self, state: str) -> None:
        self.state = state
        if self.on_state is not None:
            self.on_state(state)

    async def answer(self, offer_sdp: str) -> str:
        self.offers.append(offer_sdp)
        if self.fail_answer:
            raise CallError(self.fail_answer)
        self._set("connecting")
        return self.ANSWER

    async def add_ice(self, ice: Ice) -> None:
        self.ice.append(ice)

    def connect(self) -> None:
        self._set("connected")

    def fail(self) -> None:
        self._set("failed")

    def push_remote(self, rgb: np.ndarray) -> None:
        self._remote = rgb
        self.remote_frames_ += 1
        self.remote_size_ = (rgb.shape[1], rgb.shape[0])

    def latest_remote(self) -> np.ndarray | None:
        return self._remote

    async def close(self) -> None:
        if self.state != "closed":
            self._set("closed")
