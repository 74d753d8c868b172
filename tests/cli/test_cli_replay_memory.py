"""`rehab replay` keeps the memory it frees (glibc mallopt, rehab.commands.replay): blocks of
a megabyte or so, each a little larger than the last (the CSV parser's per-piece temporaries),
are then reused instead of being faulted in afresh; without glibc it carries on unchanged."""

from __future__ import annotations

import ctypes
import json
import subprocess
import sys
from pathlib import Path

import pytest

import rehab.commands.replay as replay_cmd
from rehab.cli import main
from sensors.replay import write_csv
from sensors.sim import SimConfig, simulate

# In a fresh process: free and allocate 30 blocks of 1-1.3 MB, each a little larger than the
# last, touching every page, and count the minor page faults (a count, not a time).
PROBE = """
import resource, sys
import numpy as np
if sys.argv[1] == "keep":
    from rehab.commands.replay import _keep_freed_memory
    _keep_freed_memory()
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
np.ones(1 << 17)  # numpy's own first-use pages, outside the count
start = faults()
for k in range(30):
    np.ones((1 << 17) + k * 1024)  # 1 MB + k kB of float64, freed at once
print(faults() - start)
"""


def probe_faults(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", PROBE, mode], check=True,
                         capture_output=True, text=True).stdout
    return int(out)


def test_freed_blocks_are_reused_not_faulted_in_again():
    if not hasattr(ctypes.CDLL(None), "mallopt"):
        pytest.fail("this test needs glibc (mallopt); the kiosk's Debian has it")
    default, kept = probe_faults("default"), probe_faults("keep")
    # 30 MB touched: ~7,700 pages. glibc's default maps most blocks fresh; kept, the first
    # block's pages (~260) and each block's extra kilobytes are all that is new.
    assert default > 3000, default
    assert kept < default / 4, (kept, default)


def test_without_mallopt_the_replay_runs_as_before(tmp_path: Path, monkeypatch, capsys):
    res = simulate(SimConfig(exercise_id="elbow_flexion", reps=5, rate_hz=50.0, seed=4))
    path = tmp_path / "set.csv"
    write_csv(path, res.distal)
    assert main(["replay", str(path), "--json"]) == 0
    expected = json.loads(capsys.readouterr().out)

    def no_libc(name):
        raise OSError("no C library here")

    monkeypatch.setattr(ctypes, "CDLL", no_libc)
    assert main(["replay", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == expected

    class NoMallopt:  # a C library without glibc's mallopt (musl, macOS)
        def __init__(self, name):
            pass

    monkeypatch.setattr(ctypes, "CDLL", NoMallopt)
    replay_cmd._keep_freed_memory()  # no AttributeError
    assert main(["replay", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == expected
    assert expected["count"] == 5
