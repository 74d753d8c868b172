"""The host side of one device link as a sans-I/O state machine (one for serial and BLE).

Driven by messages in and messages out, with the host time passed in: a transport calls
:meth:`HostLink.connect` on a fresh connection and sends what it returns, feeds every
message the device sends to :meth:`HostLink.receive` (sending ``reply.send`` and handing
``reply.samples`` on), calls :meth:`HostLink.sent` as each message leaves, and sends a
:meth:`HostLink.request_sync` now and then while streaming. Timeouts and retries stay
with the transport, which knows real time.

Handshake (PROTOCOL.md section 2): HELLO_REQ -> HELLO (protocol version checked), a burst
of TIME_REQ -> TIME_RESP, START -> ACK. A failure puts the machine in ``FAILED`` with the
:class:`~protocol.errors.HandshakeError` in ``error_``; it never raises mid-stream, so one
bad message cannot cost the ones after it. IMU batches are accepted in every state: their
``sample_seq`` is classified by :class:`~protocol.sequence.SeqTracker` and their device
times mapped to the host clock by :class:`~protocol.clock.ClockMapper`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from protocol.clock import ClockMapper
from protocol.errors import HandshakeError
from protocol.messages import (
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
from protocol.sequence import MonotonicTimes, SeqTracker, Verdict

MAX_PENDING_SYNCS = 8  # unanswered TIME_REQs kept; beyond this the oldest is forgotten
REQUEST_ID_MOD = 1 << 32


@dataclass(frozen=True, slots=True)
class StreamConfig:
    rate_hz: int = 100
    accel_fs_g: int = 8
    gyro_fs_dps: int = 1000
    batch_len: int = 10
    sensor: int = 0

    def start(self) -> Start:
        return Start(self.rate_hz, self.accel_fs_g, self.gyro_fs_dps, 1 << self.sensor,
                     self.batch_len)


class HostState(StrEnum):
    IDLE = "idle"  # no connection yet
    HELLO = "hello"  # HELLO_REQ sent
    SYNC = "sync"  # the handshake's TIME_REQ burst
    STARTING = "starting"  # START sent, waiting for its ACK
    STREAMING = "streaming"
    FAILED = "failed"  # see ``error_``; the transport drops the connection and retries


@dataclass(frozen=True, slots=True)
class Samples:
    """The new samples of one accepted batch, on the host clock (``skip`` trimmed ones)."""

    batch: ImuBatch
    skip: int
    t_s: np.ndarray
    accel_m_s2: np.ndarray
    gyro_rad_s: np.ndarray

    def __len__(self) -> int:
        return int(self.t_s.shape[0])


@dataclass(frozen=True, slots=True)
class Reply:
    """What one received message asks of the transport: send, hand on, show."""

    send: tuple[Message, ...] = ()
    samples: Samples | None = None
    battery: Battery | None = None


NOTHING = Reply()


def error_code_name(code: int) -> str:
    try:
        return ErrorCode(code).name
    except ValueError:
        return str(code)


class HostLink:
    """One device, over any transport; results in attributes ending in ``_``.

    ``numbered``: the transport numbers frames (serial), so the ACK of START must name
    START's frame number; over BLE there are no frame numbers and the ACK names 0.
    """

    def __init__(self, config: StreamConfig = StreamConfig(), *, sync_burst: int = 5,
                 numbered: bool = True) -> None:
        self.config = config
        self.sync_burst = sync_burst
        self.numbered = numbered
        self.mapper = ClockMapper()
        self.tracker = SeqTracker()
        self.counters = self.tracker.counters
        self.state = HostState.IDLE
        self.error_: HandshakeError | None = None
        self.hello_: Hello | None = None
        self.connects_ = 0
        self.steps_ = 0  # handshake progress: a transport restarts its reply timeout on it
        self.device_errors_ = 0
        self.last_device_error_ = ""
        self._times = MonotonicTimes()
        self._tx_seq = 0
        self._start_seq = 0
        self._synced = 0
        self._next_sync_id = 1
        self._pending_sync: dict[int, float] = {}

    # ---- messages out ----

    def sent(self, msg: Message, now: float) -> int:
        """The transport puts ``msg`` on the wire now; returns its frame number (serial).

        A sync exchange starts here, not when the request was made.
        """
        seq = self._tx_seq
        self._tx_seq = (seq + 1) & 0xFFFF
        if isinstance(msg, Start):
            self._start_seq = seq
        elif isinstance(msg, TimeReq) and msg.request_id in self._pending_sync:
            self._pending_sync[msg.request_id] = now
        return seq

    def request_sync(self, now: float) -> TimeReq:
        rid = self._next_sync_id
        self._next_sync_id = (rid + 1) % REQUEST_ID_MOD
        if len(self._pending_sync) > MAX_PENDING_SYNCS:
            self._pending_sync.pop(min(self._pending_sync))
        self._pending_sync[rid] = now
        return TimeReq(rid)

    @property
    def awaiting(self) -> str:
        """What the handshake waits for (for the transport's timeout message)."""
        return {HostState.HELLO: "HELLO", HostState.SYNC: "TIME_RESP",
                HostState.STARTING: "ACK of START"}.get(self.state, "data")

    # ---- connection ----

    def connect(self, now: float) -> tuple[Message, ...]:
        """A fresh connection (the device may have rebooted): forget its clock, say hello."""
        self.mapper.reset()
        self.tracker.reset(None)
        self._pending_sync.clear()
        self._synced = 0
        self.error_ = None
        self.hello_ = None
        self.state = HostState.HELLO
        return (HelloReq(PROTOCOL_VERSION),)

    def _fail(self, reason: str) -> Reply:
        self.state = HostState.FAILED
        self.error_ = HandshakeError(reason)
        return NOTHING

    def _advance(self, state: HostState) -> None:
        self.state = state
        self.steps_ += 1

    def _after_sync(self, now: float) -> Reply:
        if self._synced < self.sync_burst:
            return Reply(send=(self.request_sync(now),))
        self._advance(HostState.STARTING)
        return Reply(send=(self.config.start(),))

    # ---- messages in ----

    def receive(self, msg: Message, now: float) -> Reply:
        """Handle one message from the device, received at host time ``now``."""
        if isinstance(msg, ImuBatch):
            return self._batch(msg, now)
        if isinstance(msg, TimeResp):
            sent = self._pending_sync.pop(msg.request_id, None)
            if sent is None:
                return NOTHING
            self.mapper.add_sync(sent, msg.device_us, now)
            if self.state == HostState.SYNC:
                self._synced += 1
                self.steps_ += 1
                return self._after_sync(now)
            return NOTHING
        if isinstance(msg, Hello):
            return self._hello(msg, now) if self.state == HostState.HELLO else NOTHING
        if isinstance(msg, Ack):
            return self._ack(msg)
        if isinstance(msg, Battery):
            return Reply(battery=msg)
        if isinstance(msg, Error):
            self.device_errors_ += 1
            self.last_device_error_ = (f"device error {error_code_name(msg.code)} "
                                       f"(detail {msg.detail})")
        return NOTHING

    def _hello(self, hello: Hello, now: float) -> Reply:
        if hello.proto_version != PROTOCOL_VERSION:
            return self._fail(f"device speaks protocol {hello.proto_version}, this host "
                              f"{PROTOCOL_VERSION}: update the firmware (hw/README.md)")
        self.hello_ = hello
        self._advance(HostState.SYNC)
        return self._after_sync(now)

    def _ack(self, ack: Ack) -> Reply:
        if self.state != HostState.STARTING or ack.acked_type != MsgType.START:
            return NOTHING
        if self.numbered and ack.acked_seq != self._start_seq:
            return NOTHING
        if ack.status != ErrorCode.OK:
            return self._fail(f"device refused START: {error_code_name(ack.status)}")
        self.tracker.reset(0)  # sample_seq counts from START: a lost first batch shows
        self._advance(HostState.STREAMING)
        self.connects_ += 1
        return NOTHING

    def _batch(self, b: ImuBatch, now: float) -> Reply:
        if b.sensor != self.config.sensor:
            return NOTHING
        n = len(b)
        verdict, skip = self.tracker.accept(b.sample_seq, n)
        if verdict == Verdict.DUPLICATE:
            return NOTHING
        if not self.mapper.synced_:
            self.mapper.anchor(b.t_first_us + (n - 1) * b.period_us, now)
        dev_us = b.t_first_us + b.period_us * np.arange(skip, n)
        t = self._times.fix(np.asarray(self.mapper.to_host(dev_us), dtype=float).reshape(-1))
        c = self.counters
        c.batches += 1
        c.samples += n - skip
        return Reply(samples=Samples(b, skip, t, b.accel_m_s2()[skip:], b.gyro_rad_s()[skip:]))
