"""A benchmark that fails leaves no broker, clinic server or wearable emulator running
(bench.loopback_clinic, bench.wired_wearable: stopped at the process's exit however it
ends; bench.kiosk_pinned starts both in the process it measures)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FAILS_AFTER_START = """
import sys
from pathlib import Path
from bench.loopback_clinic import LoopbackClinic
from bench import wired_wearable
tmp = Path(sys.argv[1])
clinic = LoopbackClinic(tmp / "clinic")
(tmp / "dev").mkdir()
emu, _ = wired_wearable.start(tmp / "dev", 4, tmp / "t0.json", tmp / "emu.log")
print(clinic.broker.pid, clinic.server.pid, emu.pid, flush=True)
raise RuntimeError("the bench failed before its own clean-up")
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended


def test_a_failing_bench_stops_its_broker_server_and_emulator(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-c", FAILS_AFTER_START, str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=90, check=False)
    assert run.returncode == 1 and "before its own clean-up" in run.stderr, run.stderr[-2000:]
    pids = [int(p) for p in run.stdout.split()]
    assert len(pids) == 3
    assert not [p for p in pids if _alive(p)], run.stderr[-2000:]
