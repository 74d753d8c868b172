"""Kiosk adapters: audio cues through a real subprocess, the shipped Pi input config,
sd_notify over a real datagram socket, a live appointment marks the set as watched."""

from __future__ import annotations

import asyncio
import io
import os
import socket
import stat
import wave
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from kiosk.adapters.audio import AudioCues, beep_wav
from kiosk.adapters.sources import SimSourceFactory
from kiosk.kivy_setup import pi_input_options
from kiosk.model import KioskModel
from kiosk.notify import sd_notify, watchdog_interval_s
from therapy.records import Appointment


def test_beep_is_a_valid_wav() -> None:
    with wave.open(io.BytesIO(beep_wav(880.0, 0.1)), "rb") as w:
        assert (w.getnchannels(), w.getframerate(), w.getnframes()) == (1, 16000, 1600)


@pytest.mark.timeout(20)
async def test_spoken_cue_runs_espeak_without_blocking(tmp_path: Path) -> None:
    log = tmp_path / "said.txt"
    fake = tmp_path / "espeak-ng"
    fake.write_text(f"#!/bin/sh\necho \"$@\" >> {log}\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    cues = AudioCues(enabled=True, volume=0.5)
    cues.espeak = str(fake)
    assert cues.mode == "speech"
    cues.say("Lift higher")
    await asyncio.sleep(0)  # say() returned at once; the process runs beside the loop
    for _ in range(100):
        if log.exists() and "Lift higher" in log.read_text():
            break
        await asyncio.sleep(0.05)
    assert log.read_text().split() == ["-v", "en", "-a", "75", "-s", "150", "--", "Lift",
                                       "higher"]
    cues.set_language("es")  # the kiosk's language (Settings or --lang): the voice follows
    cues.say("-x Suba más")  # after "--": never read as an option
    for _ in range(100):
        if "Suba" in log.read_text():
            break
        await asyncio.sleep(0.05)
    assert log.read_text().splitlines()[-1].split() == [
        "-v", "es", "-a", "75", "-s", "150", "--", "-x", "Suba", "más"]
    cues.configure(False, 0.5)
    cues.say("not said")
    assert cues.spoken == ["Lift higher", "-x Suba más"]


def test_pi_input_config_has_one_touch_provider() -> None:
    opts = pi_input_options()
    providers = [v for v in opts.values() if "probesysfs" in v]
    assert providers == ["probesysfs,provider=mtdev"]
    assert not any("hidinput" in v for v in opts.values())


def test_sd_notify_datagram(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.bind(path)
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        monkeypatch.setenv("WATCHDOG_USEC", "10000000")
        assert sd_notify("READY=1")
        assert s.recv(64) == b"READY=1"
    assert watchdog_interval_s() == 5.0
    monkeypatch.delenv("NOTIFY_SOCKET")
    assert not sd_notify("WATCHDOG=1")
    assert os.environ.get("NOTIFY_SOCKET") is None


def test_live_appointment_marks_the_set_watched(tmp_path: Path) -> None:
    m = KioskModel(tmp_path / "d", sources=SimSourceFactory(speed=50.0))
    now = datetime.now(timezone.utc)
    m.store.save_appointment(Appointment("ap-1", now - timedelta(minutes=2), 30))
    run = m.start_exercise(m.plan()[0].exercises[0])
    assert run.live.watched and run.ctl.appointment_id == "ap-1"
    assert any(a.live_now for a in m.appointments())
    m.close()
