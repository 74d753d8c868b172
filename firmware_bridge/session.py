"""The host side of one serial device link: connect, handshake, time sync, stream, reconnect.

Blocking, one thread per device (pyserial's model); :class:`~.source.BridgeSource` hands
the chunks to asyncio. The protocol itself (handshake, time sync, sample sequence, host
times) is :class:`protocol.host.HostLink`; this module moves its messages as frames over
the port, keeps the real-time timeouts and the monitor's figures. The port is injected
(``opener``) and so is the clock, so a test can run an emulated device at ten times real
speed on a pseudo-terminal.

While streaming, one TIME_REQ per ``sync_interval_s`` keeps the offset and drift current.
Silence for ``silence_timeout_s`` or an I/O error closes the port; it is reopened with
back-off (:mod:`protocol.backoff`) and the handshake starts again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from firmware_bridge.errors import BridgeError, PortError
from firmware_bridge.serial_link import ByteLink, SerialLink
from protocol.backoff import BackoffPolicy, backoff_s
from protocol.clock import Clock, MonotonicClock
from protocol.codec import DecoderStats, FrameDecoder, encode_frame
from protocol.errors import HandshakeError, ProtocolError
from protocol.host import HostLink, HostState, Samples, StreamConfig
from protocol.messages import ImuBatch, Message
from sensors.types import ImuChunk

log = logging.getLogger(__name__)

__all__ = ["BridgeSession", "LinkStats"]


@dataclass(slots=True)
class LinkStats:
    """What ``rehab bridge monitor`` shows; updated by the session thread."""

    port: str = ""
    connected: bool = False
    device_id: int | None = None
    fw_version: tuple[int, int, int] | None = None
    connects: int = 0
    reconnects: int = 0
    batches: int = 0
    samples: int = 0
    sample_gaps: int = 0
    samples_lost: int = 0
    rate_hz: float = 0.0
    battery_mv: int | None = None
    battery_pct: int | None = None
    drift_ppm: float = 0.0
    offset_s: float = 0.0
    rtt_ms: float = float("nan")
    device_errors: int = 0
    last_error: str = ""
    outages_s: list[float] = field(default_factory=list)
    decoder: DecoderStats = field(default_factory=DecoderStats)


OUTAGE_MIN_S = 1.0  # a jump in host time longer than this between batches is an outage


class BridgeSession:
    def __init__(
        self,
        port: str,
        *,
        config: StreamConfig = StreamConfig(),
        opener: Callable[[str], ByteLink] = SerialLink.open,
        clock: Clock | None = None,
        backoff: BackoffPolicy = BackoffPolicy(),
        handshake_timeout_s: float = 1.0,
        silence_timeout_s: float = 1.0,
        sync_interval_s: float = 1.0,
        sync_burst: int = 5,
        tap: Callable[[ImuBatch, ImuChunk], None] | None = None,
    ) -> None:
        self.port = port
        self.config = config
        self.opener = opener
        self.clock = clock or MonotonicClock()
        self.backoff = backoff
        self.handshake_timeout_s = handshake_timeout_s
        self.silence_timeout_s = silence_timeout_s
        self.sync_interval_s = sync_interval_s
        self.tap = tap  # every accepted batch as it came off the wire, and its chunk (tests)
        self.stats = LinkStats(port=port)
        self.host = HostLink(config, sync_burst=sync_burst, numbered=True)
        self.mapper = self.host.mapper
        self._decoder = FrameDecoder()
        self.stats.decoder = self._decoder.stats
        self._last_t = -np.inf
        self._rate_window: deque[tuple[float, int]] = deque(maxlen=64)
        self._on_chunk: Callable[[ImuChunk], None] = lambda chunk: None
        self._link: ByteLink | None = None
        # the link up (True, "") after each handshake, down (False, why) after each fault;
        # called on the session thread (firmware_bridge.source_link.BridgeLink)
        self.on_link: Callable[[bool, str], None] | None = None

    def _state(self, up: bool, why: str = "") -> None:
        if self.on_link is not None:
            self.on_link(up, why)

    # ---- the supervised loop ----

    def run(self, on_chunk: Callable[[ImuChunk], None], stop: threading.Event) -> None:
        """Stream until ``stop`` is set, reconnecting after every fault."""
        self._on_chunk = on_chunk
        attempt = 0
        while not stop.is_set():
            try:
                link = self.opener(self.port)
            except PortError as exc:
                self.stats.last_error = str(exc)
                self._state(False, str(exc))
                wait = backoff_s(self.backoff, attempt)
                log.info("%s; retrying in %.2f s", exc, wait)
                attempt += 1
                stop.wait(wait)
                continue
            self._link = link
            try:
                self._handshake(stop)
                attempt = 0
                self._state(True)
                self._stream(stop)
            except (BridgeError, ProtocolError) as exc:  # PortError, HandshakeError: reconnect
                self.stats.last_error = str(exc)
                self._state(False, str(exc))
                log.warning("link %s: %s", self.port, exc)
                stop.wait(backoff_s(self.backoff, attempt))
                attempt += 1
            finally:
                self._link = None
                link.close()
                self.stats.connected = False
            if not stop.is_set():
                self.stats.reconnects += 1

    # ---- frames in and out ----

    def _send(self, msgs: tuple[Message, ...]) -> None:
        assert self._link is not None
        for msg in msgs:
            seq = self.host.sent(msg, self.clock.now())
            self._link.write(encode_frame(msg, seq))

    def _pump(self) -> bool:
        """Read what the port has, feed it through the host machine; False if nothing came."""
        assert self._link is not None
        data = self._link.read()
        host_rx = self.clock.now()
        for frame in self._decoder.feed(data):
            reply = self.host.receive(frame.msg, host_rx)
            if reply.battery is not None:
                self.stats.battery_mv = reply.battery.millivolts
                self.stats.battery_pct = reply.battery.percent
            if reply.samples is not None:
                self._on_samples(reply.samples, host_rx)
            self._send(reply.send)
        self._refresh()
        return bool(data)

    def _refresh(self) -> None:
        st, h = self.stats, self.host
        if h.mapper.synced_:
            st.drift_ppm, st.offset_s = h.mapper.drift_ppm_, h.mapper.offset_s_
            st.rtt_ms = h.mapper.rtt_s_ * 1e3
        if h.device_errors_ != st.device_errors:
            st.device_errors = h.device_errors_
            st.last_error = h.last_device_error_
            log.warning("%s reports %s", self.port, st.last_error)
        st.sample_gaps, st.samples_lost = h.counters.gaps, h.counters.lost

    # ---- handshake ----

    def _handshake(self, stop: threading.Event) -> None:
        h = self.host
        self._decoder.reset_sequence()
        self._send(h.connect(self.clock.now()))
        steps = h.steps_
        deadline = time.monotonic() + self.handshake_timeout_s
        while h.state != HostState.STREAMING:
            if h.error_ is not None:
                raise h.error_
            if stop.is_set() or time.monotonic() >= deadline:
                raise HandshakeError(f"no {h.awaiting} from {self.port} within "
                                     f"{self.handshake_timeout_s} s")
            self._pump()
            if h.steps_ != steps:  # each step of the handshake has its own timeout
                steps = h.steps_
                deadline = time.monotonic() + self.handshake_timeout_s
        hello = h.hello_
        assert hello is not None
        self.stats.device_id, self.stats.fw_version = hello.device_id, hello.fw_version
        self.stats.connected = True
        self.stats.connects += 1
        log.info("streaming from %s (device %016x, firmware %s)", self.port,
                 hello.device_id, ".".join(map(str, hello.fw_version)))

    # ---- streaming ----

    def _stream(self, stop: threading.Event) -> None:
        last_rx = time.monotonic()
        next_sync = self.clock.now() + self.sync_interval_s
        while not stop.is_set():
            got = self._pump()
            now = time.monotonic()
            if got:
                last_rx = now
            elif now - last_rx > self.silence_timeout_s:
                raise PortError(f"no data from {self.port} for {self.silence_timeout_s} s")
            host_now = self.clock.now()
            if host_now >= next_sync:
                self._send((self.host.request_sync(host_now),))
                next_sync = host_now + self.sync_interval_s

    def _on_samples(self, s: Samples, host_rx: float) -> None:
        st = self.stats
        if np.isfinite(self._last_t) and s.t_s[0] - self._last_t > OUTAGE_MIN_S:
            st.outages_s.append(float(s.t_s[0] - self._last_t))
        self._last_t = float(s.t_s[-1])
        st.batches += 1
        st.samples += len(s)
        self._rate_window.append((host_rx, st.samples))
        t0, s0 = self._rate_window[0]
        if host_rx > t0:
            st.rate_hz = (st.samples - s0) / (host_rx - t0)
        chunk = ImuChunk(s.t_s, s.accel_m_s2, s.gyro_rad_s)
        if self.tap is not None:
            self.tap(s.batch, chunk)
        self._on_chunk(chunk)
