"""A kiosk in its own process, as systemd runs it: provisioned data, offscreen Kivy (no
display), a notify socket for READY=1 / STOPPING=1. Shared by the tests that stop or kill
the kiosk (test_kiosk_sigterm, test_kiosk_killed)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from kiosk.settings import load_settings, save_settings

ROOT = Path(__file__).resolve().parents[2]
READY_WAIT_S = 90.0  # Kivy's start and the first frame, on a loaded machine


def provisioned(data: Path) -> None:
    """A data folder with the patient's PIN and the installer code set (as installed)."""
    data.mkdir(parents=True)
    save_settings(data, load_settings(data).with_pin("2580").with_code("246813"))


def notify_messages(sock: socket.socket, until: str, timeout_s: float) -> list[str]:
    """What the kiosk told systemd, until ``until`` came or ``timeout_s`` passed."""
    sock.settimeout(timeout_s)
    got: list[str] = []
    while until not in got:
        try:
            got.append(sock.recv(256).decode())
        except TimeoutError:
            break
    return got


def start_kiosk(tmp_path: Path, argv: list[str]) -> tuple[subprocess.Popen[str], socket.socket]:
    """``python argv...`` (``-m rehab kiosk ...``, or a script running it) offscreen with
    a notify socket in ``tmp_path``, stdout and stderr piped (text); the caller ends it and
    closes the socket."""
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify.sock"))
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(NOTIFY_SOCKET=str(tmp_path / "notify.sock"), KIVY_HOME=str(tmp_path / "kivy"),
               KIVY_NO_ARGS="1", KIVY_NO_FILELOG="1", KIVY_NO_CONSOLELOG="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                        env.get("PYTHONPATH", "")])))
    proc = subprocess.Popen([sys.executable, *argv], env=env, cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return proc, notify
