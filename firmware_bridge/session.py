"""The host side of one device link: connect, handshake, time sync, stream, reconnect.

Blocking, one thread per device (pyserial's model); :class:`~.source.BridgeSource` hands
the chunks to asyncio. The port is injected (``opener``) and so is the clock, so a test
can run an emulated device at ten times real speed on a pseudo-terminal.

Handshake: HELLO_REQ -> HELLO (protocol version checked), a burst of TIME_REQ ->
TIME_RESP, START -> ACK. While streaming, one TIME_REQ per ``sync_interval_s`` keeps the
offset and drift current. Silence for ``silence_timeout_s`` or an I/O error closes the
port; it is reopened with back-off (:mod:`.backoff`) and the handshake starts again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from firmware_bridge.backoff import BackoffPolicy, backoff_s
from firmware_bridge.clock import Clock, ClockMapper, MonotonicClock
from firmware_bridge.codec import DecoderStats, Frame, FrameDecoder, encode_frame
from firmware_bridge.errors import BridgeError, HandshakeError, PortError
from firmware_bridge.messages import (
    PROTOCOL_VERSION,
    Ack,
    Battery,
    Error,
    ErrorCode,
    Hello,
    HelloReq,
    ImuBatch,
    Message,
    MsgType,
    Start,
    TimeReq,
    TimeResp,
)
from firmware_bridge.serial_link import ByteLink, SerialLink
from sensors.types import ImuChunk

log = logging.getLogger(__name__)

SAMPLE_SEQ_MOD = 1 << 32


@dataclass(frozen=True, slots=True)
class StreamConfig:
    rate_hz: int = 100
    accel_fs_g: int = 8
    gyro_fs_dps: int = 1000
    batch_len: int = 10
    sensor: int = 0


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


def _code_name(code: int) -> str:
    try:
        return ErrorCode(code).name
    except ValueError:
        return str(code)


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
        self.sync_burst = sync_burst
        self.tap = tap  # every accepted batch as it came off the wire, and its chunk (tests)
        self.stats = LinkStats(port=port)
        self.mapper = ClockMapper()
        self._decoder = FrameDecoder()
        self.stats.decoder = self._decoder.stats
        self._tx_seq = 0
        self._next_sync_id = 1
        self._pending_sync: dict[int, float] = {}
        self._expected_sample: int | None = None
        self._last_t = -np.inf
        self._rate_window: deque[tuple[float, int]] = deque(maxlen=64)
        self._on_chunk: Callable[[ImuChunk], None] = lambda chunk: None
        self._link: ByteLink | None = None

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
                wait = backoff_s(self.backoff, attempt)
                log.info("%s; retrying in %.2f s", exc, wait)
                attempt += 1
                stop.wait(wait)
                continue
            self._link = link
            try:
                self._handshake(stop)
                attempt = 0
                self._stream(stop)
            except BridgeError as exc:  # PortError, HandshakeError: reconnect
                self.stats.last_error = str(exc)
                log.warning("link %s: %s", self.port, exc)
                stop.wait(backoff_s(self.backoff, attempt))
                attempt += 1
            finally:
                self._link = None
                link.close()
                self.stats.connected = False
            if not stop.is_set():
                self.stats.reconnects += 1

    # ---- handshake ----

    def _send(self, msg: Message) -> int:
        seq = self._tx_seq
        self._tx_seq = (self._tx_seq + 1) & 0xFFFF
        assert self._link is not None
        self._link.write(encode_frame(msg, seq))
        return seq

    def _wait_for(self, want: Callable[[Frame], bool], stop: threading.Event, what: str) -> Frame:
        deadline = time.monotonic() + self.handshake_timeout_s
        assert self._link is not None
        while time.monotonic() < deadline and not stop.is_set():
            data = self._link.read()
            host_rx = self.clock.now()
            found = None
            for frame in self._decoder.feed(data):
                if found is None and want(frame):
                    found = frame
                self._handle(frame, host_rx)
            if found is not None:
                return found
        raise HandshakeError(f"no {what} from {self.port} within {self.handshake_timeout_s} s")

    def _handshake(self, stop: threading.Event) -> None:
        self._decoder.reset_sequence()
        self.mapper.reset()
        self._expected_sample = None
        self._pending_sync.clear()
        self._send(HelloReq(PROTOCOL_VERSION))
        hello = self._wait_for(lambda f: f.msg_type == MsgType.HELLO, stop, "HELLO").msg
        assert isinstance(hello, Hello)
        if hello.proto_version != PROTOCOL_VERSION:
            raise HandshakeError(f"device speaks protocol {hello.proto_version}, this host "
                                 f"{PROTOCOL_VERSION}: update the firmware (hw/README.md)")
        self.stats.device_id, self.stats.fw_version = hello.device_id, hello.fw_version
        for _ in range(self.sync_burst):
            rid = self._request_sync()
            self._wait_for(lambda f, r=rid: isinstance(f.msg, TimeResp)  # type: ignore[misc]
                           and f.msg.request_id == r, stop, "TIME_RESP")
        c = self.config
        seq = self._send(Start(c.rate_hz, c.accel_fs_g, c.gyro_fs_dps, 1 << c.sensor, c.batch_len))
        ack = self._wait_for(lambda f: isinstance(f.msg, Ack) and f.msg.acked_seq == seq,
                             stop, "ACK of START").msg
        assert isinstance(ack, Ack)
        if ack.status != ErrorCode.OK:
            raise HandshakeError(f"device refused START: {_code_name(ack.status)}")
        self._expected_sample = 0  # sample_seq counts from START: a lost first batch shows
        self.stats.connected = True
        self.stats.connects += 1
        log.info("streaming from %s (device %016x, firmware %s)", self.port,
                 hello.device_id, ".".join(map(str, hello.fw_version)))

    def _request_sync(self) -> int:
        rid = self._next_sync_id
        self._next_sync_id = (rid + 1) & 0xFFFFFFFF
        self._pending_sync[rid] = self.clock.now()
        self._send(TimeReq(rid))
        return rid

    # ---- streaming ----

    def _stream(self, stop: threading.Event) -> None:
        assert self._link is not None
        last_rx = time.monotonic()
        next_sync = self.clock.now() + self.sync_interval_s
        while not stop.is_set():
            data = self._link.read()
            host_rx = self.clock.now()
            now = time.monotonic()
            if data:
                last_rx = now
                for frame in self._decoder.feed(data):
                    self._handle(frame, host_rx)
            elif now - last_rx > self.silence_timeout_s:
                raise PortError(f"no data from {self.port} for {self.silence_timeout_s} s")
            if host_rx >= next_sync:
                if len(self._pending_sync) > 8:  # unanswered requests: forget the oldest
                    self._pending_sync.pop(min(self._pending_sync))
                self._request_sync()
                next_sync = host_rx + self.sync_interval_s

    def _handle(self, frame: Frame, host_rx: float) -> None:
        msg = frame.msg
        if isinstance(msg, ImuBatch):
            if msg.sensor == self.config.sensor:
                self._on_batch(msg, host_rx)
        elif isinstance(msg, TimeResp):
            sent = self._pending_sync.pop(msg.request_id, None)
            if sent is not None:
                self.mapper.add_sync(sent, msg.device_us, host_rx)
                st = self.stats
                st.drift_ppm, st.offset_s = self.mapper.drift_ppm_, self.mapper.offset_s_
                st.rtt_ms = self.mapper.rtt_s_ * 1e3
        elif isinstance(msg, Battery):
            self.stats.battery_mv, self.stats.battery_pct = msg.millivolts, msg.percent
        elif isinstance(msg, Error):
            self.stats.device_errors += 1
            self.stats.last_error = f"device error {_code_name(msg.code)} (detail {msg.detail})"
            log.warning("%s reports %s", self.port, self.stats.last_error)

    def _on_batch(self, b: ImuBatch, host_rx: float) -> None:
        st = self.stats
        n = len(b)
        if not self.mapper.synced_:
            self.mapper.anchor(b.t_first_us + (n - 1) * b.period_us, host_rx)
        if self._expected_sample is not None:
            ahead = (b.sample_seq - self._expected_sample) % SAMPLE_SEQ_MOD
            if ahead and ahead < SAMPLE_SEQ_MOD // 2:
                st.sample_gaps += 1
                st.samples_lost += ahead
        self._expected_sample = (b.sample_seq + n) % SAMPLE_SEQ_MOD
        t = np.asarray(self.mapper.to_host(b.t_first_us + b.period_us * np.arange(n)))
        if t[0] <= self._last_t:  # a fresh clock fit stepped back: keep time increasing
            t = t + (self._last_t - t[0]) + 1e-4
        if np.isfinite(self._last_t) and t[0] - self._last_t > 1.0:
            st.outages_s.append(float(t[0] - self._last_t))
        self._last_t = float(t[-1])
        st.batches += 1
        st.samples += n
        self._rate_window.append((host_rx, st.samples))
        t0, s0 = self._rate_window[0]
        if host_rx > t0:
            st.rate_hz = (st.samples - s0) / (host_rx - t0)
        chunk = ImuChunk(t, b.accel_m_s2(), b.gyro_rad_s())
        if self.tap is not None:
            self.tap(b, chunk)
        self._on_chunk(chunk)
