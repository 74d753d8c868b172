"""A wearable plugged into the USB bridge (``/dev/rehab-imu*``) is what the kiosk uses when
none is paired (``therapy.sources.pick_source``), opened through ``therapy.sources``: the
firmware emulator (``rehab bridge emulate``) on a pty named as udev names the bridge, a set
through the flow (no Kivy) that counts the emulated reps; nothing plugged in, nothing
paired: the simulator (the demo). Unplugged mid-set (the emulator's unplug: the pty closes
and the udev name goes), the wired wearable is supervised as a BLE one is: the set pauses
with the banner, resumes when the port is back (the bridge reconnects with back-off) and
keeps the gap; one that stays away ends the set with what was done."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any
from datetime import UTC, datetime
from pathlib import Path

import pytest

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


@pytest.mark.timeout(90)
async def test_a_set_on_the_usb_bridge_counts_the_emulated_reps(tmp_path: Path,
                                                                bridge: Path) -> None:
    m = _kiosk(tmp_path / "data", bridge.parent, SourceOptions(speed=SPEED))
    try:
        assert isinstance(m.sources.base, SpecSourceFactory) and not m.sources.demo
        spec = m.sources.base.spec
        assert spec.kind == SourceKind.SERIAL and spec.target == str(bridge)
        flow = _start_set(m)
        run = m.run
        assert run is not None
        end, seen = time.monotonic() + 40, set()
        while flow.current != "pain":
            assert time.monotonic() < end, f"the set did not end ({run.live.reps_in_set})"
            flow.frame()
            seen.update(run.live.status_text.split(" · ")[:1])
            await asyncio.sleep(0.02)
        assert run.error == ""
        assert "Lower leg: connected" in seen  # the live screen's line while it streamed
        rec = await _finish(flow, m)
        assert rec is not None and rec.rep_count == 3  # ended by the kiosk at the target
    finally:
        m.close()


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
async def test_unplugged_mid_set_the_set_pauses_with_the_banner_resumes_and_keeps_the_gap(
        tmp_path: Path) -> None:
    from therapy.devices import WearableRegistry

    gen = emulated(tmp_path, 8, "--unplug-at", UNPLUG_AT_S, "--unplug-s", "5")
    link = next(gen)
    flow, m = _kiosk_on(tmp_path / "data", link.parent, SourceOptions(speed=SPEED))
    try:
        seen: list[tuple[str, bool]] = []
        await _until_pain(flow, seen, 60)
        assert (LOST, True) in seen  # the banner while the set waited for the cable
        assert seen[-1] == ("", False)  # back: the banner gone, the set running again
        assert flow.audio.spoken.count(LOST) == 1  # type: ignore[attr-defined]
        rec = await _finish(flow, m)
        # done after the port came back (at 5x a rep may come in the 2 s the set ends in)
        assert rec is not None and rec.rep_count >= 3 and rec.completed
        [gap] = WearableRegistry(m.store).gaps(rec.id)
        assert gap[:3] == (1, f"serial:{link}", "shank") and gap[4] is not None
        assert gap[4] - gap[3] > 0.5  # about the 1 s unplug plus the reconnect
    finally:
        m.close()
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
