"""By touch in the offscreen kiosk: a plan exercise on two paired wearables (virtual,
bumble through unmodified bleak). The thigh wearable walks away mid-set and comes back:
the live screen shows "Thigh sensor lost — bring it closer" and the set pauses, then it
resumes and ends at the target; the gap is stored with the set."""

from __future__ import annotations

import asyncio
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy

configure_kivy((800, 480), fullscreen=False, pi=False)

from tests.helpers.kiosk_touch import (TEST_PIN, enter, provision, running_kiosk, tap, texts,
                                       until)
from day_plan import every_day_plan
from flow_helpers import silent_audio

from kiosk.model import KioskModel
from protocol.clock import ScaledClock
from sensors.ble.ports import Wearable, WearableKind
from sensors.ble.virtual.world import VirtualWearables
from sensors.sim import SimConfig, simulate
from sensors.types import BodySegment
from therapy.devices import WearableRegistry
from therapy.plan import parse_plan
from therapy.sources import SourceOptions

SHANK, THIGH = "F1:00:00:00:00:01", "F1:00:00:00:00:02"
REPS = 2
PLAN = every_day_plan("p-ble", 1, {"exercise_id": "knee_extension_seated", "side": "right",
                                   "sets": 1, "reps": REPS, "sensors": ["thigh", "shank"]})
BANNER = "Thigh sensor lost — bring it closer"


@pytest.mark.timeout(120)
async def test_a_wearable_walks_away_by_touch_the_set_pauses_resumes_and_keeps_the_gap(
        tmp_path: Path) -> None:
    clock = ScaledClock(2.0)
    world = VirtualWearables(clock)
    # more reps than the target: one done while the thigh is away is not counted
    sim = simulate(SimConfig(exercise_id="knee_extension_seated", reps=REPS + 2, seed=0,
                             two_segment=True, drop_prob=0.0))
    assert sim.proximal is not None
    data = tmp_path / "data"
    provision(data)
    model = KioskModel(data, source_options=SourceOptions(ble_connector=world.connector,
                                                          clock=clock))
    model.store.save_plan(parse_plan(PLAN), json.dumps(PLAN), datetime.now(UTC))
    audio = silent_audio()
    try:
        async with running_kiosk(model, pin=None, audio=audio) as app:
            reg = WearableRegistry(model.store)
            for addr, seg in ((SHANK, BodySegment.SHANK), (THIGH, BodySegment.THIGH)):
                reg.remember(Wearable(addr, f"RehabIMU {seg}", WearableKind.REHAB_IMU, seg), 80)
            model.wearables_changed()  # as Settings > Find wearables does after placing them
            assert not model.sources.demo
            await enter(app, TEST_PIN)
            app.flow.go("today")  # past the first-run intake (its own tests tap through it)
            await tap(app, "Start")
            await tap(app, "1")
            await tap(app, "Continue")
            # the patient puts them on: they start moving through the exercise now
            await world.add(SHANK, "shank", sim.distal)
            await world.add(THIGH, "thigh", sim.proximal)
            await tap(app, "Start set 1")
            assert app.sm.current == "live", texts(app)
            run = model.run
            assert run is not None
            await until(lambda: len(run.live.sensors) == 2
                        and all(s.connected for s in run.live.sensors), 30, "both wearables")
            walk = asyncio.ensure_future(world.walk_away("thigh", 1.0, 1.5))
            await until(lambda: BANNER in texts(app), 30, "the banner on the live screen")
            assert run.paused and "Resume" in texts(app)  # the set waits for the wearable
            await until(lambda: not run.paused, 30, "the resume")
            await until(lambda: BANNER not in texts(app), 5, "the banner gone")
            await walk
            await until(lambda: app.sm.current == "pain", 60, "the end of the set")
            assert BANNER in audio.spoken
            await tap(app, "1")
            await tap(app, "Continue")
            await until(lambda: app.sm.current == "summary", 20, "the summary")
            rec = model.last_record
            assert rec is not None and rec.rep_count == REPS
            [gap] = WearableRegistry(model.store).gaps(rec.id)
            assert gap[:3] == (1, f"ble:{THIGH}", "thigh") and gap[4] is not None
    finally:
        await world.close()
