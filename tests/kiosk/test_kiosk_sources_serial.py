"""A wearable plugged into the USB bridge (``/dev/rehab-imu*``) is what the kiosk uses when
none is paired (``therapy.sources.pick_source``), opened through ``therapy.sources``: the
firmware emulator (``rehab bridge emulate``) on a pty named as udev names the bridge. By
touch in the offscreen kiosk (issue 15's Tests): the patient taps from Today to the set,
which counts the emulated reps on the live screen and stores them; unplugged mid-set (the
emulator's unplug: the pty closes and the udev name goes), the wired wearable is supervised
as a BLE one is: the banner on the live screen, the set paused (Resume offered), resumed
when the port is back (the bridge reconnects with back-off), the gap stored. Through the
flow (no Kivy): nothing plugged in, nothing paired is the simulator (the demo); a wired
wearable that stays away ends the set with what was done."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kiosk.headless import prepare_env

prepare_env(Path(tempfile.mkdtemp(prefix="kiosk-test-kivy-")), offscreen=True)
from kiosk.kivy_setup import configure_kivy

configure_kivy((800, 480), fullscreen=False, pi=False)

from tests.helpers.kiosk_touch import provision, running_kiosk, tap, texts, until
from touch_set import LiveLog, pain_after_to_summary, save_plan, to_instruction
from fake_navigator import Screens
from flow_helpers import silent_audio
from kiosk.adapters.sources import SimSourceFactory, SpecSourceFactory
from kiosk.model import KioskModel
from kiosk.settings import load_settings, save_settings
from kiosk.vm.flow import KioskFlow
from therapy.plan import exercise_from_catalogue
from therapy.ports import FakeClock
from therapy.sources import SourceKind, SourceOptions

EX = "knee_extension_seated"
SPEED = 5.0  # the emulator's clock and the kiosk's serial clock run 5x: 3 reps in ~5 s
PLAN_ITEM = {"exercise_id": EX, "side": "right", "sets": 1, "reps": 3}


def test_nothing_paired_nothing_plugged_in_is_the_demo(tmp_path: Path) -> None:
    (tmp_path / "dev").mkdir()
    m = KioskModel(tmp_path / "d", dev_dir=tmp_path / "dev")
    assert isinstance(m.sources.base, SimSourceFactory) and m.sources.demo
    m.close()


@pytest.fixture
def bridge(tmp_path: Path) -> Iterator[Path]:
    yield from emulated(tmp_path)


def emulated(tmp_path: Path, reps: int = 3, *extra: str) -> Iterator[Path]:
    """The firmware emulator on a pty, linked where udev puts a plugged-in bridge."""
    dev = tmp_path / "dev"
    dev.mkdir()
    link = dev / "rehab-imu0"
    emu = subprocess.Popen(
        [sys.executable, "-m", "rehab", "bridge", "emulate", "--exercise", EX, "--reps",
         str(reps), "--link", str(link), "--speed", str(SPEED), "--duration", "60", "--seed",
         "3", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 15
        while not link.exists() and time.monotonic() < deadline and emu.poll() is None:
            time.sleep(0.05)
        assert link.exists(), "the emulator made no pty link"
        yield link
    finally:
        emu.terminate()
        emu.communicate(timeout=10)


def _kiosk(data: Path, dev: Path, options: SourceOptions) -> KioskModel:
    data.mkdir()
    save_settings(data, load_settings(data).with_pin("2580").with_code("246813"))
    return KioskModel(data, clock=FakeClock(datetime.now(UTC)), monotonic=time.monotonic,
                      source_options=options, dev_dir=dev)


def _start_set(m: KioskModel) -> KioskFlow:
    """One set of three reps of EX, through the pain check, on whatever sources ``m`` has."""
    flow = KioskFlow(m, Screens(), silent_audio())
    flow.start_exercise(dataclasses.replace(exercise_from_catalogue(EX), sets=1, reps=3))
    flow.pain_vm.choose(0)
    flow.pain_done()
    flow.begin_set()
    assert flow.current == "live" and m.run is not None, m.run and m.run.error
    return flow


def _kiosk_on(data: Path, dev: Path, options: SourceOptions) -> tuple[KioskFlow, KioskModel]:
    m = _kiosk(data, dev, options)
    return _start_set(m), m


def _touch_kiosk(data: Path, dev: Path) -> KioskModel:
    """The kiosk as installed, with a plan of one set of three reps of EX, on whatever is
    plugged in under ``dev``."""
    provision(data)
    model = KioskModel(data, source_options=SourceOptions(speed=SPEED), dev_dir=dev)
    save_plan(model, PLAN_ITEM)
    return model


@pytest.mark.timeout(90)
async def test_a_set_on_the_usb_bridge_by_touch_counts_the_emulated_reps(
        tmp_path: Path, bridge: Path) -> None:
    model = _touch_kiosk(tmp_path / "data", bridge.parent)
    assert isinstance(model.sources.base, SpecSourceFactory) and not model.sources.demo
    spec = model.sources.base.spec
    assert spec.kind == SourceKind.SERIAL and spec.target == str(bridge)
    async with running_kiosk(model, audio=silent_audio()) as app:
        await to_instruction(app)
        shown = LiveLog(app)
        await tap(app, "Start set 1")
        assert app.sm.current == "live", texts(app)
        run = model.run
        assert run is not None
        await until(lambda: app.sm.current == "pain", 40,
                    f"the set to end at its target ({run.live.reps_in_set} reps)")
        assert run.error == ""
        # the live screen's sensor line while it streamed, its counter through every rep
        assert any(t.startswith("Lower leg: connected") for t in shown.sensors), shown.sensors
        assert shown.counted() == [1, 2, 3], shown.reps
        await pain_after_to_summary(app)
        rec = model.last_record
        assert rec is not None and rec.rep_count == 3  # ended by the kiosk at the target
        assert shown.rom[-1] == f"Last rep: {round(rec.reps[-1].rom_deg)}°"  # as stored


LOST = "Lower leg sensor lost — bring it closer"
UNPLUG_AT_S = "6"  # emulator seconds after the first START (1.2 s at 5x): mid-set


async def _until_pain(flow: KioskFlow, seen: list[tuple[str, bool]], timeout_s: float) -> None:
    """Frames until the set ends, noting (banner, paused) on each."""
    run = flow.model.run
    assert run is not None
    end = time.monotonic() + timeout_s
    while flow.current != "pain":
        assert time.monotonic() < end, f"the set did not end ({run.live.reps_in_set})"
        flow.frame()
        seen.append((run.live.lost_banner, run.paused))
        await asyncio.sleep(0.02)


async def _finish(flow: KioskFlow, m: KioskModel) -> Any:
    flow.pain_vm.choose(0)
    flow.pain_done()
    end = time.monotonic() + 20
    while flow.current != "summary":
        assert time.monotonic() < end
        await asyncio.sleep(0.02)
    return m.last_record


@pytest.mark.timeout(90)
async def test_unplugged_mid_set_by_touch_the_banner_the_set_pauses_resumes_and_keeps_the_gap(
        tmp_path: Path) -> None:
    from therapy.devices import WearableRegistry

    gen = emulated(tmp_path, 8, "--unplug-at", UNPLUG_AT_S, "--unplug-s", "5")
    link = next(gen)
    audio = silent_audio()
    model = _touch_kiosk(tmp_path / "data", link.parent)
    try:
        async with running_kiosk(model, audio=audio) as app:
            await to_instruction(app)
            shown = LiveLog(app)
            await tap(app, "Start set 1")
            run = model.run
            assert app.sm.current == "live" and run is not None, texts(app)
            await until(lambda: LOST in texts(app), 30, "the banner on the live screen")
            assert run.paused and "Resume" in texts(app)  # the set waits for the cable
            await until(lambda: not run.paused, 30, "the resume")
            await until(lambda: LOST not in texts(app) and "Pause" in texts(app), 5,
                        "the banner gone, the set running again")
            await until(lambda: app.sm.current == "pain", 60,
                        f"the set to end ({run.live.reps_in_set} reps)")
            assert audio.spoken.count(LOST) == 1  # type: ignore[attr-defined]
            assert shown.top.count(LOST) == 1  # one drop-out, one banner
            await pain_after_to_summary(app)
            # done after the port came back (at 5x a rep may come in the 2 s the set ends in)
            rec = model.last_record
            assert rec is not None and rec.rep_count >= 3 and rec.completed
            assert shown.counted()[-1] == rec.rep_count
            [gap] = WearableRegistry(model.store).gaps(rec.id)
            assert gap[:3] == (1, f"serial:{link}", "shank") and gap[4] is not None
            assert gap[4] - gap[3] > 0.5  # about the 1 s unplug plus the reconnect
    finally:
        gen.close()


@pytest.mark.timeout(90)
async def test_a_wired_wearable_that_stays_unplugged_ends_the_set_with_what_was_done(
        tmp_path: Path) -> None:
    from sensors.link_events import LinkPolicy
    from therapy.devices import WearableRegistry

    gen = emulated(tmp_path, 8, "--unplug-at", UNPLUG_AT_S, "--unplug-s", "1000")
    link = next(gen)
    flow, m = _kiosk_on(tmp_path / "data", link.parent,
                        SourceOptions(speed=SPEED, ble_policy=LinkPolicy(max_away_s=2.0)))
    try:
        run = m.run
        assert run is not None
        seen: list[tuple[str, bool]] = []
        await _until_pain(flow, seen, 60)
        assert (LOST, True) in seen
        assert run.live.link_note == ("Lower leg sensor stayed away: the set ended with the "
                                      "reps done")
        assert run.error == "" and not run.nothing_measured
        rec = await _finish(flow, m)
        assert rec is not None and rec.rep_count < 3 and not rec.completed
        [gap] = WearableRegistry(m.store).gaps(rec.id)
        assert gap[:3] == (1, f"serial:{link}", "shank") and gap[4] is None  # never back
    finally:
        m.close()
        gen.close()
