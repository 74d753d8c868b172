"""The host state machine against the device model, message by message (no I/O, no clock).

One machine serves serial (frames numbered, the ACK names START's number) and BLE (no
numbers, the ACK names 0); one device model serves the serial emulator and the virtual
BLE wearable. Here they talk directly: what one returns is handed to the other.
"""

from __future__ import annotations

import numpy as np
import pytest

from protocol.device import DeviceModel
from protocol.errors import HandshakeError
from protocol.host import HostLink, HostState, Samples, StreamConfig
from protocol.messages import (
    Ack,
    ErrorCode,
    Hello,
    ImuBatch,
    Message,
    MsgType,
    SensorDesc,
    SensorKind,
    Start,
    TimeReq,
)
from protocol.sequence import SAMPLE_SEQ_MOD

RATE_HZ = 100


class Motion:
    """A 20 s swing: accel and gyro that differ from sample to sample."""

    def __init__(self, n: int = 20 * RATE_HZ) -> None:
        k = np.arange(n)[:, None]
        self.accel_m_s2 = np.hstack([np.sin(k / 50.0), np.cos(k / 50.0), np.full((n, 1), 9.0)])
        self.gyro_rad_s = np.hstack([np.cos(k / 50.0), np.zeros((n, 1)), -np.sin(k / 50.0)])


def _exchange(host: HostLink, dev: DeviceModel, out: tuple[Message, ...], now: float,
              numbered: bool) -> list[Samples]:
    """Deliver ``out`` to the device and everything it answers back to the host."""
    got: list[Samples] = []
    queue = list(out)
    while queue:
        msg = queue.pop(0)
        seq = host.sent(msg, now)
        for answer in dev.handle(msg, seq if numbered else 0, now):
            reply = host.receive(answer, now)
            queue.extend(reply.send)
            if reply.samples is not None:
                got.append(reply.samples)
    return got


def _connected(numbered: bool, *, drift_ppm: float = 0.0, config: StreamConfig = StreamConfig()
               ) -> tuple[HostLink, DeviceModel]:
    host = HostLink(config, numbered=numbered)
    dev = DeviceModel(Motion(), rate_hz=RATE_HZ, boot_s=-40.0, drift_ppm=drift_ppm)
    _exchange(host, dev, host.connect(0.0), 0.0, numbered)
    return host, dev


@pytest.mark.parametrize("numbered", [True, False], ids=["serial", "ble"])
def test_handshake_sync_start_then_batches_on_the_host_clock(numbered: bool) -> None:
    host, dev = _connected(numbered, drift_ppm=80.0)
    assert host.state == HostState.STREAMING and host.error_ is None
    assert host.hello_ == dev.hello and host.connects_ == 1 and host.mapper.n_syncs_ == 5
    assert dev.start_cfg == Start(100, 8, 1000, 0x01, 10)
    samples: list[Samples] = []
    for step in range(1, 31):  # 3 s, a sync every second as the transports do
        now = step * 0.1
        for msg in dev.due(now):
            reply = host.receive(msg, now)
            samples += [reply.samples] if reply.samples is not None else []
        if step % 10 == 0:
            samples += _exchange(host, dev, (host.request_sync(now),), now, numbered)
    assert [s.batch.sample_seq for s in samples] == list(range(0, 300, 10))
    t = np.concatenate([s.t_s for s in samples])
    truth = np.array([dev.host_s(b.t_first_us + i * b.period_us)
                      for b in (s.batch for s in samples) for i in range(len(b))])
    # Zero round trips here, so the offset is exact; the drift is fitted only once the
    # exchanges span MIN_DRIFT_SPAN_S, so up to 80 ppm of the 3 s remains.
    assert np.abs(t - truth).max() <= 80e-6 * 3.0 + 1e-6
    assert abs(t[0] - truth[0]) < 1e-6
    first = samples[0].batch
    assert np.array_equal(first.counts[:, 3:], np.rint(np.degrees(
        Motion().gyro_rad_s[dev.sample_index(t[:10])]) * 32768 / 1000).astype(np.int16))
    c = host.counters
    assert (c.batches, c.samples, c.gaps, c.lost, c.duplicates) == (30, 300, 0, 0, 0)


def test_a_repeated_batch_is_dropped_and_an_overlap_trimmed() -> None:
    """Before the one machine, serial handed a repeated batch on again (its own count)."""
    host, dev = _connected(numbered=True)
    batches = [m for m in dev.due(1.0) if isinstance(m, ImuBatch)]
    assert len(batches) >= 6
    b0, b1, b2, b3, b4, b5 = batches[:6]
    got = [host.receive(b, 1.0).samples for b in (b0, b1, b1, b3, b3, b4)]
    assert got[2] is None and got[4] is None  # repeats
    assert [len(s) for s in got if s is not None] == [10, 10, 10, 10]
    overlap = ImuBatch(b5.sample_seq - 4, b5.t_first_us - 4 * b5.period_us, b5.period_us,
                       b5.gyro_fs_dps, b5.accel_fs_g, 0, np.vstack([b4.counts[6:], b5.counts]))
    s = host.receive(overlap, 1.0).samples
    assert s is not None and s.skip == 4 and len(s) == 10
    c = host.counters
    assert (c.gaps, c.lost, c.duplicates, c.trimmed) == (1, 10, 2, 4)
    assert (b5.sample_seq + 10) % SAMPLE_SEQ_MOD == 60


def test_serial_ack_must_name_the_start_frame_ble_ack_names_zero() -> None:
    for numbered, stale_ok in ((True, False), (False, True)):
        host = HostLink(numbered=numbered, sync_burst=0)
        host.connect(0.0)
        hello = Hello(1, (0, 3, 1), 7, (SensorDesc(0, SensorKind.IMU6, 8, 1000, 416),))
        (start,) = host.receive(hello, 0.0).send
        assert isinstance(start, Start)
        for _ in range(3):
            host.sent(TimeReq(99), 0.0)  # other frames first: START is frame 3
        assert host.sent(start, 0.0) == 3
        host.receive(Ack(MsgType.START, 0, ErrorCode.OK), 0.0)
        assert (host.state == HostState.STREAMING) == stale_ok
        host.receive(Ack(MsgType.START, 3, ErrorCode.OK), 0.0)
        assert host.state == HostState.STREAMING


def test_wrong_version_and_refused_start_fail_without_raising() -> None:
    host = HostLink()
    host.connect(0.0)
    host.receive(Hello(2, (9, 0, 0), 1, ()), 0.0)
    assert host.state == HostState.FAILED and isinstance(host.error_, HandshakeError)
    assert "protocol 2" in str(host.error_) and "update the firmware" in str(host.error_)

    host, dev = _connected(numbered=True, config=StreamConfig(rate_hz=50))
    assert host.state == HostState.FAILED
    assert str(host.error_) == "device refused START: UNSUPPORTED_RATE"
    assert not dev.streaming and dev.due(5.0) == []
    assert host.device_errors_ == 1 and "UNSUPPORTED_RATE" in host.last_device_error_
    _exchange(host, dev, host.connect(1.0), 1.0, True)  # a new connection starts afresh
    assert host.state == HostState.FAILED and host.error_ is not None


def test_unanswered_sync_requests_are_bounded() -> None:
    host, _ = _connected(numbered=False)
    ids = [host.request_sync(float(i)).request_id for i in range(20)]
    assert len(set(ids)) == 20
    assert len(host._pending_sync) <= 9  # noqa: SLF001 - the bound is the point
