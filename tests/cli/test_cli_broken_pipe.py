"""``rehab doctor | head -2``: the reader leaves early; the command ends quietly (exit 141,
as a shell reports a command a pipe ended), not with a BrokenPipeError traceback. Here the
reader (``true``) is gone before the command has started, so every write finds no reader."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_a_reader_that_leaves_early_gets_no_traceback(tmp_path: Path) -> None:
    run = subprocess.run(
        f"'{sys.executable}' -m rehab.cli doctor --no-camera --data-dir '{tmp_path}' | true;"
        " echo \"rc=${PIPESTATUS[0]}\"", shell=True, executable="/bin/bash",
        capture_output=True, text=True, timeout=120)
    assert "Traceback" not in run.stderr and "BrokenPipeError" not in run.stderr, run.stderr
    assert run.stdout.strip() == "rc=141", (run.stdout, run.stderr)
