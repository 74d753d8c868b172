"""A virtual WT901BLE (vendor service 0xFFE5) through bleak: unlock, rate, stream, battery."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from tests.helpers.ble_world import World

from protocol.clock import ScaledClock
from sensors.ble import witmotion
from sensors.ble.drivers import WitMotionDriver
from sensors.sim import SimConfig, simulate
from sensors.types import BodySegment

SPEED = 2.0
ACCEL_LSB_M_S2 = 16 * 9.80665 / 32768
GYRO_LSB_RAD_S = np.radians(2000 / 32768)


@pytest.mark.timeout(60)
async def test_witmotion_streams_at_the_commanded_rate_in_physical_units() -> None:
    sim = simulate(SimConfig(reps=2, drop_prob=0.0, gyro_noise_rad_s=0.0,
                             accel_noise_m_s2=0.0))
    world = World(ScaledClock(SPEED))
    dev = await world.witmotion(1, sim.distal, battery_cv=372)
    source = world.source(dev, BodySegment.FOREARM, rate_hz=100.0)
    got: list = []
    async for chunk in source:
        got.append(chunk)
        if sum(len(c) for c in got) >= 400:
            break
    await source.aclose()
    await dev.close()

    assert dev.unlocked and dev.out_rate_hz == 100.0
    assert (witmotion.REG_RRATE, 0x09) in dev.commands
    assert source.link.battery_pct == 40  # 3.72 V on a 3.4..4.2 V cell
    assert source.info.segment == BodySegment.FOREARM
    t = np.concatenate([c.t_s for c in got])
    rate = (len(t) - 1) / (t[-1] - t[0])
    assert 90.0 < rate < 110.0 and np.all(np.diff(t) > 0)
    driver = source.link.driver
    assert isinstance(driver, WitMotionDriver) and driver.counters.corrupt == 0
    # every sample is one the limb produced, within one count (int16 at the vendor scales)
    acc = np.concatenate([c.accel_m_s2 for c in got])
    d = np.abs(sim.distal.accel_m_s2[:, None, :] - acc[None, :200:40, :]).max(axis=2)
    assert np.all(d.min(axis=0) <= ACCEL_LSB_M_S2)


def test_witmotion_driver_refuses_a_rate_the_sensor_cannot_do() -> None:
    with pytest.raises(ValueError, match="return rates"):
        WitMotionDriver(ScaledClock(), rate_hz=150.0)


async def test_witmotion_scan_finds_both_kinds_by_uuid_or_name() -> None:
    from sensors.ble.ports import WearableKind, classify
    from sensors.ble.virtual import BumbleScanner

    sim = simulate(SimConfig(reps=1, drop_prob=0.0))
    world = World(ScaledClock())
    ours = await world.rehab_imu(1, sim.distal)
    wit = await world.witmotion(2, sim.distal)
    found = {a.address: a for a in await BumbleScanner(world.air).scan(0.3)}
    await ours.close()
    await wit.close()
    assert classify(found[ours.address]) == WearableKind.REHAB_IMU
    assert classify(found[wit.address]) == WearableKind.WITMOTION
    assert found[ours.address].name == ours.name and found[ours.address].rssi < 0
    await asyncio.sleep(0)
