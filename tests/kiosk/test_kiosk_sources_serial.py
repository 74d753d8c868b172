"""A wearable plugged into the USB bridge (``/dev/rehab-imu*``) is what the kiosk uses when
none is paired (``therapy.sources.pick_source``), opened through ``therapy.sources``: the
firmware emulator (``rehab bridge emulate``) on a pty named as udev names the bridge, a set
through the flow (no Kivy) that counts the emulated reps; nothing plugged in, nothing
paired: the simulator (the demo)."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fake_navigator import Screens
from kiosk.adapters.audio import AudioCues
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
    assert isinstance(m.sources.wearables, SimSourceFactory) and m.sources.demo
    m.close()


@pytest.fixture
def bridge(tmp_path: Path) -> Iterator[Path]:
    """The firmware emulator on a pty, linked where udev puts a plugged-in bridge."""
    dev = tmp_path / "dev"
    dev.mkdir()
    link = dev / "rehab-imu0"
    emu = subprocess.Popen(
        [sys.executable, "-m", "rehab", "bridge", "emulate", "--exercise", EX, "--reps", "3",
         "--link", str(link), "--speed", str(SPEED), "--duration", "60", "--seed", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 15
        while not link.exists() and time.monotonic() < deadline and emu.poll() is None:
            time.sleep(0.05)
        assert link.exists(), "the emulator made no pty link"
        yield link
    finally:
        emu.terminate()
        emu.communicate(timeout=10)


@pytest.mark.timeout(90)
async def test_a_set_on_the_usb_bridge_counts_the_emulated_reps(tmp_path: Path,
                                                                bridge: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    save_settings(data, load_settings(data).with_pin("2580").with_code("246813"))
    m = KioskModel(data, clock=FakeClock(datetime.now(UTC)), monotonic=time.monotonic,
                   source_options=SourceOptions(speed=SPEED), dev_dir=bridge.parent)
    try:
        assert isinstance(m.sources.wearables, SpecSourceFactory) and not m.sources.demo
        spec = m.sources.wearables.spec
        assert spec.kind == SourceKind.SERIAL and spec.target == str(bridge)
        audio = AudioCues(enabled=True)
        audio.espeak = audio.aplay = None
        flow = KioskFlow(m, Screens(), audio)
        flow.start_exercise(dataclasses.replace(exercise_from_catalogue(EX), sets=1, reps=3))
        flow.pain_vm.choose(0)
        flow.pain_done()
        flow.begin_set()
        run = m.run
        assert flow.current == "live" and run is not None, run and run.error
        end, seen = time.monotonic() + 40, set()
        while flow.current != "pain":
            assert time.monotonic() < end, f"the set did not end ({run.live.reps_in_set})"
            flow.frame()
            seen.update(run.live.status_text.split(" · ")[:1])
            await asyncio.sleep(0.02)
        assert run.error == ""
        assert "Lower leg: connected" in seen  # the live screen's line while it streamed
        flow.pain_vm.choose(0)
        flow.pain_done()
        end = time.monotonic() + 20
        while flow.current != "summary":
            assert time.monotonic() < end
            await asyncio.sleep(0.02)
        rec = m.last_record
        assert rec is not None and rec.rep_count == 3  # ended by the kiosk at the target
    finally:
        m.close()
