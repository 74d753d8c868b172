"""The kiosk's sets on paired wearables go through ``therapy.sources`` and its supervised
live set, driven through the flow (no Kivy): two virtual wearables (bumble, reached by
unmodified bleak), paired the way Settings pairs them. One walks away mid-set and comes
back: the set pauses with the banner naming it, resumes, and the gap is stored with the
set. One that stays away ends the set with the reps done; a low battery warns once."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fake_navigator import Screens
from flow_helpers import until
from kiosk.adapters.audio import AudioCues
from kiosk.adapters.ble_sources import BleSourceFactory
from kiosk.model import KioskModel
from kiosk.settings import load_settings, save_settings
from kiosk.vm.flow import KioskFlow
from protocol.clock import ScaledClock
from sensors.link_events import LinkPolicy
from sensors.ble.ports import Wearable, WearableKind
from sensors.ble.virtual.world import VirtualWearables
from sensors.sim import SimConfig, simulate
from sensors.types import BodySegment
from therapy.devices import WearableRegistry
from therapy.plan import exercise_from_catalogue
from therapy.ports import FakeClock
from therapy.sources import SourceOptions

SHANK, THIGH = "F1:00:00:00:00:01", "F1:00:00:00:00:02"
EXERCISE = "knee_extension_seated"
REPS = 2



async def kiosk_on_two_wearables(data: Path, thigh_battery: int = 80,
                                 policy: LinkPolicy | None = None) -> tuple[
        KioskFlow, KioskModel, VirtualWearables, AudioCues]:
    """Two virtual wearables on the air (2x time), paired on shank and thigh; the kiosk
    reaches them through its default sources with the virtual connector injected."""
    clock = ScaledClock(2.0)
    world = VirtualWearables(clock)
    sim = simulate(SimConfig(exercise_id=EXERCISE, reps=REPS, seed=0, two_segment=True,
                             drop_prob=0.0))
    assert sim.proximal is not None
    await world.add(SHANK, "shank", sim.distal)
    await world.add(THIGH, "thigh", sim.proximal, battery_pct=thigh_battery)
    data.mkdir(parents=True)
    save_settings(data, load_settings(data).with_pin("2580").with_code("246813"))
    model = KioskModel(data, clock=FakeClock(datetime.now(UTC)), monotonic=time.monotonic,
                       source_options=SourceOptions(ble_connector=world.connector, clock=clock,
                                                    ble_policy=policy))
    assert model.sources.demo  # nothing paired: the simulator
    reg = WearableRegistry(model.store)
    for addr, seg in ((SHANK, BodySegment.SHANK), (THIGH, BodySegment.THIGH)):
        reg.remember(Wearable(addr, world.devices[str(seg)].name, WearableKind.REHAB_IMU, seg),
                     80)
    model.wearables_changed()  # what Settings > Find wearables calls after placing one
    assert isinstance(model.sources.base, BleSourceFactory) and not model.sources.demo
    audio = AudioCues(enabled=True)
    audio.espeak = audio.aplay = None  # record the cues, play nothing
    flow = KioskFlow(model, Screens(), audio)
    return flow, model, world, audio


def begin(flow: KioskFlow) -> None:
    ex = dataclasses.replace(exercise_from_catalogue(EXERCISE), sets=1, reps=REPS,
                             sensors=(BodySegment.THIGH, BodySegment.SHANK))
    flow.start_exercise(ex)
    flow.pain_vm.choose(1)
    flow.pain_done()
    assert flow.current == "instruction"
    flow.begin_set()
    assert flow.current == "live", flow.model.run and flow.model.run.error


@pytest.mark.timeout(120)
async def test_a_wearable_walks_away_the_set_pauses_with_a_banner_resumes_and_keeps_the_gap(
        tmp_path: Path) -> None:
    flow, model, world, audio = await kiosk_on_two_wearables(tmp_path / "data")
    try:
        begin(flow)
        run = model.run
        assert run is not None
        await until(lambda: all(s.connected for s in run.live.sensors)
                    and len(run.live.sensors) == 2, 30, "both wearables", flow.frame)
        walk = asyncio.ensure_future(world.walk_away("thigh", 1.0, 1.5))
        await until(lambda: run.paused, 30, "the pause", flow.frame)
        assert run.live.lost_banner == "Thigh sensor lost — bring it closer"
        assert run.live.paused  # the live screen shows the paused set
        await until(lambda: not run.paused, 30, "the resume", flow.frame)
        assert run.live.lost_banner == ""
        await walk
        await until(lambda: flow.current == "pain", 60, "the set's end", flow.frame)
        assert "Thigh sensor lost — bring it closer" in audio.spoken
        flow.pain_vm.choose(1)
        flow.pain_done()
        await until(lambda: flow.current == "summary", 20, "the summary", lambda: None)
        rec = model.last_record
        assert rec is not None and rec.rep_count == REPS
        [gap] = WearableRegistry(model.store).gaps(rec.id)
        assert gap[:3] == (1, f"ble:{THIGH}", "thigh") and gap[5] == "disconnected"
        assert gap[4] is not None and 1.0 < gap[4] - gap[3] < 6.0  # host-clock seconds
    finally:
        await world.close()
        model.close()


@pytest.mark.timeout(120)
async def test_a_wearable_that_stays_away_ends_the_set_with_the_reps_done(
        tmp_path: Path) -> None:
    # the thigh wearable runs low (warned once) and leaves after the first rep for good;
    # the link policy gives it 3 s (host clock) before the set ends
    flow, model, world, audio = await kiosk_on_two_wearables(
        tmp_path / "data", thigh_battery=10, policy=LinkPolicy(max_away_s=3.0))
    try:
        begin(flow)
        run = model.run
        assert run is not None
        await until(lambda: run.live.reps_in_set >= 1, 60, "the first rep", flow.frame)
        walk = asyncio.ensure_future(world.walk_away("thigh", 0.0, 1000.0))
        await until(lambda: flow.current == "pain", 60, "the set's end", flow.frame)
        walk.cancel()
        assert run.live.link_note == ("Thigh sensor stayed away: the set ended with the "
                                      "reps done")
        assert run.live.lost_banner == ""
        battery = "Thigh sensor battery low: charge it after this set"
        assert audio.spoken.count(battery) == 1
        flow.pain_vm.choose(1)
        flow.pain_done()
        await until(lambda: flow.current == "summary", 20, "the summary", lambda: None)
        rec = model.last_record
        assert rec is not None and 1 <= rec.rep_count < REPS and not rec.completed
        [gap] = WearableRegistry(model.store).gaps(rec.id)
        assert gap[:3] == (1, f"ble:{THIGH}", "thigh") and gap[4] is None  # never back
    finally:
        await world.close()
        model.close()


@pytest.mark.timeout(60)
async def test_wearables_that_never_connect_store_no_empty_session(tmp_path: Path) -> None:
    """Before: the set waited, ended with 0 reps, and an empty session went to the
    clinic as if the patient had done nothing (as ``rehab session`` did before ec220c0)."""
    flow, model, world, audio = await kiosk_on_two_wearables(
        tmp_path / "data", policy=LinkPolicy(max_away_s=1.0))
    await world.close()  # both switched off: nothing answers at the paired addresses
    try:
        begin(flow)
        run = model.run
        assert run is not None
        await until(lambda: flow.current == "today", 30, "back on Today", flow.frame)
        assert model.run is None
        assert flow.notice_on("today") == ("The sensors did not connect, so nothing was "
                                           "measured or saved. Check they are charged and "
                                           "close by, then try again.")
        assert model.history.sessions() == []
        queued = [json.loads(r.payload) for r in model.store.outbox_batch(0, 100)]
        assert [q["resourceType"] for q in queued] == ["AuditEvent"]  # the pairing only
        assert WearableRegistry(model.store).gaps(run.ctl.session_id) == []
    finally:
        model.close()
