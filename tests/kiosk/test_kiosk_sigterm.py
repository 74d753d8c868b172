"""systemd stopping the kiosk (issue 15): ``rehab kiosk``, started as a service is (a
notify socket for READY=1 and STOPPING=1), offscreen, gets SIGTERM after its first frame
and stops as the app's stop path does (the current screen left, its ticks and scans ended,
then the model closed): exit code 0, no traceback, and systemd is told STOPPING=1. SDL's
own SIGTERM handling (a quit event) already stopped the app this way; the kiosk now
handles SIGTERM itself (kiosk.ui.app.run_app), so it does not depend on the window
provider, and says STOPPING=1 (the code before fails on that)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.settings import load_settings, save_settings

READY_WAIT_S = 90.0  # Kivy's start and the first frame, on a loaded machine
EXIT_WAIT_S = 30.0


def _provisioned(data: Path) -> None:
    data.mkdir(parents=True)
    save_settings(data, load_settings(data).with_pin("2580").with_code("246813"))


def _messages(sock: socket.socket, until: str, timeout_s: float) -> list[str]:
    sock.settimeout(timeout_s)
    got: list[str] = []
    while until not in got:
        try:
            got.append(sock.recv(256).decode())
        except TimeoutError:
            break
    return got


@pytest.mark.timeout(180)
def test_sigterm_stops_the_kiosk_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _provisioned(data)
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify.sock"))
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(NOTIFY_SOCKET=str(tmp_path / "notify.sock"), KIVY_HOME=str(tmp_path / "kivy"),
               KIVY_NO_ARGS="1", KIVY_NO_FILELOG="1", KIVY_NO_CONSOLELOG="1")
    proc = subprocess.Popen([sys.executable, "-m", "rehab", "kiosk", "--data-dir", str(data),
                             "--demo-sensors", "--size", "800x480", "--windowed"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        ready = _messages(notify, "READY=1", READY_WAIT_S)
        assert "READY=1" in ready, (ready, proc.poll())
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=EXIT_WAIT_S)
        stopping = _messages(notify, "STOPPING=1", 1.0)
        text = err.decode(errors="replace")
        assert proc.returncode == 0, text
        assert "Traceback" not in text and "closed database" not in text, text
        assert "STOPPING=1" in stopping
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        notify.close()
