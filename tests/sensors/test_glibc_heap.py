"""The kiosk's glibc malloc policy (sensors.glibc_heap, called first by ``rehab kiosk``): a
large block freed between small ones goes back to the system instead of leaving a hole the
heap keeps, as camera frames and MediaPipe's buffers were kept (issue 15, RSS with the
camera). ``REHAB_MALLOC=glibc`` leaves glibc's own policy."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys

import pytest

# In a fresh process: after a 4 MiB block (glibc's own policy then keeps blocks below 4 MiB
# in the heap), 40 blocks of 1 MiB, every page written (as a camera frame is), then a block
# that stays (as the kiosk's objects do), then the 40 freed. Private RSS growth, kB.
PROBE = """
import json
from pathlib import Path
import numpy as np
from sensors.glibc_heap import limit_heap_growth

took = limit_heap_growth()
def anon_kb():
    line = [x for x in Path("/proc/self/status").read_text().splitlines()
            if x.startswith("RssAnon:")][0]
    return int(line.split()[1])
np.ones(1 << 19)  # 4 MiB, freed at once
start = anon_kb()
big = [np.ones(1 << 17) for _ in range(40)]
kept = np.ones(25_000)  # 200 kB that stays: from the heap top, above the big blocks
del big
print(json.dumps({"took": took, "growth_kb": anon_kb() - start}))
"""


def probe(env_malloc: str | None) -> dict:
    env = dict(os.environ)
    env.pop("REHAB_MALLOC", None)
    if env_malloc is not None:
        env["REHAB_MALLOC"] = env_malloc
    out = subprocess.run([sys.executable, "-c", PROBE], check=True, capture_output=True,
                         text=True, env=env).stdout
    return dict(json.loads(out))


def test_freed_large_blocks_go_back_to_the_system():
    if not hasattr(ctypes.CDLL(None), "mallopt"):
        pytest.fail("this test needs glibc (mallopt); the kiosk's Debian has it")
    stock, kiosk = probe("glibc"), probe(None)
    assert stock["took"] is False and kiosk["took"] is True
    # glibc's own policy: the 40 MiB freed stay in the heap, below the block that stays
    assert stock["growth_kb"] > 30_000, stock
    # the kiosk's maps each block on its own and unmaps it when freed
    assert kiosk["growth_kb"] < 2_000, kiosk


def test_without_glibc_nothing_is_set(monkeypatch):
    from sensors.glibc_heap import limit_heap_growth

    def no_libc(name):
        raise OSError("no C library here")

    monkeypatch.setattr(ctypes, "CDLL", no_libc)
    assert limit_heap_growth() is False

    class NoMallopt:  # a C library without glibc's mallopt (musl, macOS)
        def __init__(self, name):
            pass

    monkeypatch.setattr(ctypes, "CDLL", NoMallopt)
    assert limit_heap_growth() is False
