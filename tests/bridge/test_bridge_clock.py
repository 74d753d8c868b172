"""Device clock -> host clock: two devices with different offsets and drifts line up < 5 ms."""

from __future__ import annotations

import numpy as np
import pytest

from firmware_bridge.serial_link import resolve_port
from protocol.backoff import BackoffPolicy, backoff_s
from protocol.clock import ClockMapper


class FakeDevice:
    """A device clock: offset, crystal error, and a USB link with asymmetric jitter."""

    def __init__(self, offset_s: float, drift_ppm: float, seed: int) -> None:
        self.offset_s = offset_s
        self.rate = 1.0 + drift_ppm * 1e-6
        self.rng = np.random.default_rng(seed)

    def device_us(self, true_s: float) -> int:
        return int((true_s * self.rate + self.offset_s) * 1e6)

    def exchange(self, host_send_s: float) -> tuple[float, int, float]:
        up = 0.0005 + self.rng.exponential(0.0015)  # USB polling + scheduler tail
        down = 0.0005 + self.rng.exponential(0.0015)
        if self.rng.random() < 0.1:  # a hiccup
            down += self.rng.uniform(0.005, 0.05)
        return host_send_s, self.device_us(host_send_s + up), host_send_s + up + down


@pytest.mark.parametrize("seed", range(5))
def test_two_devices_line_up_within_5_ms(seed: int) -> None:
    devices = [FakeDevice(1234.5, +40.0, seed), FakeDevice(-7.25, -35.0, seed + 100)]
    mappers = [ClockMapper(), ClockMapper()]
    for k in range(60):  # one exchange per second for a minute
        for dev, mapper in zip(devices, mappers, strict=False):
            mapper.add_sync(*dev.exchange(10.0 + k + 0.01 * seed))
    for true_s in (10.0, 40.0, 69.5, 75.0):  # inside and just past the synced span
        host = [m.to_host(d.device_us(true_s)) for d, m in zip(devices, mappers, strict=False)]
        assert abs(host[0] - host[1]) < 0.005
        assert abs(host[0] - true_s) < 0.005
    assert mappers[0].drift_ppm_ == pytest.approx(-40.0, abs=30.0)  # host s per device s, -1


def test_before_any_sync_the_first_arrival_anchors() -> None:
    m = ClockMapper()
    m.anchor(5_000_000, 100.0)
    assert m.to_host(5_010_000) == pytest.approx(100.01)
    assert not m.synced_


def test_single_exchange_gives_offset_without_drift() -> None:
    m = ClockMapper()
    m.add_sync(10.0, 2_000_000, 10.002)
    assert m.to_host(2_000_000) == pytest.approx(10.001)
    assert m.drift_ppm_ == 0.0 and m.rtt_s_ == pytest.approx(0.002)


def test_exchange_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError):
        ClockMapper().add_sync(10.0, 1, 9.0)


def test_backoff_grows_then_caps() -> None:
    p = BackoffPolicy(initial_s=0.1, factor=2.0, max_s=1.0)
    assert [backoff_s(p, a) for a in range(6)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


def test_resolve_port_keeps_paths_and_urls() -> None:
    assert resolve_port("/dev/rehab-imu0") == "/dev/rehab-imu0"
    assert resolve_port("loop://") == "loop://"
    assert resolve_port("no-such-device-xyz") == "no-such-device-xyz"
