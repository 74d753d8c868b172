"""A drop mid-set with the real session controller: paused, resumed, gap stored with the set."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tests.helpers.ble_world import World

from protocol.backoff import BackoffPolicy
from protocol.clock import ScaledClock
from sensors.link_events import LinkPolicy
from sensors.live_set import LiveSet
from sensors.sim import SimConfig, simulate
from sensors.types import BodySegment
from therapy.devices import WearableRegistry
from therapy.plan import exercise_from_catalogue
from therapy.ports import EventKind, FakeClock, FhirEncoder, SessionEvent
from therapy.session import SessionController
from therapy.store import TherapyStore

SPEED = 2.0  # slow enough that a loaded machine does not fake a silent link
POLICY = LinkPolicy(backoff=BackoffPolicy(initial_s=0.05, factor=2.0, max_s=0.2),
                    max_away_s=8.0, silence_timeout_s=1.0)


@pytest.mark.timeout(60)
async def test_session_pauses_while_the_thigh_sensor_is_away_and_keeps_the_gap(
        tmp_path: Path) -> None:
    sim = simulate(SimConfig(exercise_id="knee_extension_seated", reps=3, two_segment=True,
                             seed=2, drop_prob=0.0))
    assert sim.proximal is not None
    duration_s = float(sim.distal.t_s[-1] - sim.distal.t_s[0])
    world = World(ScaledClock(SPEED))
    shank_dev = await world.rehab_imu(1, sim.distal)
    thigh_dev = await world.rehab_imu(2, sim.proximal)
    shank = world.source(shank_dev, BodySegment.SHANK, POLICY)
    thigh = world.source(thigh_dev, BodySegment.THIGH, POLICY)
    store = TherapyStore(tmp_path / "rehab.db")
    registry = WearableRegistry(store)
    ctl = SessionController(exercise_from_catalogue("knee_extension_seated"), sink=store,
                            encoder=FhirEncoder("dev-1"), clock=FakeClock())
    events: list[SessionEvent] = []
    ctl.add_listener(events.append)
    live = LiveSet([shank.link, thigh.link], ctl, world.clock)
    live.start()
    t0 = world.clock.now()
    run = asyncio.ensure_future(ctl.run_set(shank, thigh))
    while not (shank.link.connected and thigh.link.connected):
        await asyncio.sleep(0.02)
    await asyncio.sleep(1.0 / SPEED)  # still at the start: the drop costs no rep
    await thigh_dev.drop(for_s=1.5)
    while world.clock.now() < t0 + duration_s + 2.0:
        await asyncio.sleep(0.1)
    ctl.stop()
    reps = await asyncio.wait_for(run, 20.0)
    await live.close(registry, ctl.session_id, ctl.set_no)
    record = ctl.finish()
    await shank_dev.close()
    await thigh_dev.close()

    kinds = [e.kind for e in events]
    assert kinds.index(EventKind.PAUSED) < kinds.index(EventKind.RESUMED)
    [gap] = registry.gaps(ctl.session_id)
    assert gap[:3] == (1, thigh.info.sensor_id, "thigh") and gap[5] == "disconnected"
    assert gap[4] is not None and 1.0 < gap[4] - gap[3] < 6.0
    assert len(reps) == len(sim.truth.reps) and record.rep_count == len(reps)
