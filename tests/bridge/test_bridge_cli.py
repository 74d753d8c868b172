"""``rehab bridge emulate`` in a subprocess, ``rehab bridge monitor --json`` against it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rehab.cli import main


@pytest.mark.timeout(60)
def test_monitor_reads_the_emulator(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    link = tmp_path / "rehab-emu0"
    emu = subprocess.Popen(
        [sys.executable, "-m", "rehab", "bridge", "emulate", "--link", str(link),
         "--duration", "20", "--crc", "0.1", "--seed", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 15
        while not link.exists() and time.monotonic() < deadline and emu.poll() is None:
            time.sleep(0.05)
        assert link.exists(), emu.stderr.read() if emu.poll() is not None else "no link"
        assert main(["bridge", "monitor", str(link), "--duration", "1.5", "--json"]) == 0
    finally:
        emu.terminate()  # SIGTERM: the emulator removes its link and says what it sent
        out, _ = emu.communicate(timeout=10)
    assert "frames sent" in out and not link.exists()
    fig = json.loads(capsys.readouterr().out)
    assert fig["connected"] and fig["firmware"] == "0.3.1"
    assert fig["samples"] >= 80 and 80 < fig["rate_hz"] < 120
    assert fig["battery_mv"] == 3900 and fig["reconnects"] == 0
    assert fig["samples_lost"] % 10 == 0 and fig["samples_lost"] >= 10 * fig["sample_gaps"]


def test_emulate_rejects_a_bad_probability(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bridge", "emulate", "--crc", "1.5"]) == 2
    assert "--crc is a probability" in capsys.readouterr().err


def test_emulate_rejects_an_unknown_exercise(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bridge", "emulate", "--exercise", "juggling"]) == 2
    assert "unknown exercise" in capsys.readouterr().err
