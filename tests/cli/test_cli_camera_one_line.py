"""A camera or video that will not open is one line on stderr, said by us, in the real
process: OpenCV (V4L2: "can't be used to capture by index") and FFmpeg ("moov atom not
found") write their own lines to file descriptor 2, which pytest's capsys never sees
(tests/cli/test_cli_session_sources.py checks the message through capsys)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", ["camera", "video"])
def test_a_source_that_will_not_open_is_one_line_on_stderr(tmp_path: Path, kind: str) -> None:
    junk = tmp_path / "notes.mp4"
    junk.write_text("not a video\n")
    source, shown = (("camera:63", "cannot open camera source 63 ") if kind == "camera" else
                     (f"video:{junk}", f"cannot open camera source '{junk}' "))
    proc = subprocess.run(
        [sys.executable, "-m", "rehab.cli", "session", "--exercise", "knee_extension_seated",
         "--source", source, "--data-dir", str(tmp_path / "data"), "--device", "dev-1",
         "--clinic", "c1"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and shown in proc.stderr, proc.stderr
