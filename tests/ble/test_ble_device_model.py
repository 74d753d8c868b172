"""The virtual wearable serves the protocol's device model, as the serial emulator does.

Before, it was a second emulator with its own rules: it took START at any rate (and then
streamed a 100 Hz motion at 50 Hz) where the serial emulator and the firmware refuse it.
"""

from __future__ import annotations

import pytest
from tests.helpers.ble_world import World

from protocol.clock import ScaledClock
from protocol.device import FW_VERSION
from protocol.host import StreamConfig
from sensors.ble.drivers import RehabImuDriver
from sensors.ble.errors import BleError
from sensors.sim import SimConfig, simulate
from sensors.types import ImuChunk


class Sink:
    def __init__(self) -> None:
        self.chunks: list[ImuChunk] = []
        self.battery_pct: list[int] = []

    def chunk(self, chunk: ImuChunk) -> None:
        self.chunks.append(chunk)

    def battery(self, pct: int) -> None:
        self.battery_pct.append(pct)


@pytest.mark.timeout(60)
async def test_virtual_wearable_refuses_a_rate_it_cannot_do() -> None:
    sim = simulate(SimConfig(reps=1, drop_prob=0.0))
    world = World(ScaledClock(2.0))
    dev = await world.rehab_imu(1, sim.distal)
    client = await world.connector().connect(dev.address, dev.name, lambda _c: None)
    driver = RehabImuDriver(world.clock, StreamConfig(rate_hz=50))
    sink = Sink()
    try:
        with pytest.raises(BleError, match="device refused START: UNSUPPORTED_RATE"):
            await driver.start(client, sink)
        assert dev.start_cfg is None and not dev.model.streaming and sink.chunks == []
        assert dev.hello.fw_version == FW_VERSION and sink.battery_pct == [80]
    finally:
        await client.disconnect()
        await dev.close()
