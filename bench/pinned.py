"""A bench child process pinned to CPU 0, as the one-core runs measure (a Pi 4 gives the
kiosk roughly one fast core): ``bench.kiosk --pinned-only`` and ``bench.camera_memory``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import Any


def run_pinned(module: str, args: list[str], what: str) -> dict[str, Any]:
    """``python -m module *args`` on CPU 0 (``taskset -c 0``, else the same affinity set
    by the child's parent before exec); the JSON object on the last line it prints.
    SystemExit naming ``what``, with the end of its stderr, when it fails."""
    cmd = [sys.executable, "-m", module, *args]
    taskset = shutil.which("taskset")
    pre = None if taskset else (lambda: os.sched_setaffinity(0, {0}))
    p = subprocess.run([taskset, "-c", "0", *cmd] if taskset else cmd, capture_output=True,
                       text=True, timeout=300, preexec_fn=pre)
    if p.returncode != 0:
        raise SystemExit(f"{what} failed:\n{p.stderr[-3000:]}")
    return dict(json.loads(p.stdout.strip().splitlines()[-1]))
