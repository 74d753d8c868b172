"""The test servers' processes (Mosquitto, coturn): stopped politely, then for good."""

from __future__ import annotations

import subprocess

STOP_GRACE_S = 5.0  # SIGTERM, then this long to exit before SIGKILL


def stop_process(proc: subprocess.Popen[bytes] | None, grace_s: float = STOP_GRACE_S) -> None:
    """Terminate ``proc`` if it still runs; kill it if it has not exited after ``grace_s``."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
