"""systemd stopping the kiosk (issue 15): ``rehab kiosk``, started as a service is (a
notify socket for READY=1 and STOPPING=1), offscreen, gets SIGTERM after its first frame
and stops as the app's stop path does (the current screen left, its ticks and scans ended,
then the model closed): exit code 0, no traceback, and systemd is told STOPPING=1. SDL's
own SIGTERM handling (a quit event) already stopped the app this way; the kiosk now
handles SIGTERM itself (kiosk.ui.app.run_app), so it does not depend on the window
provider, and says STOPPING=1 (the code before fails on that)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from kiosk_process import READY_WAIT_S, notify_messages, provisioned, start_kiosk

EXIT_WAIT_S = 30.0


@pytest.mark.timeout(180)
def test_sigterm_stops_the_kiosk_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    provisioned(data)
    proc, notify = start_kiosk(tmp_path, ["-m", "rehab", "kiosk", "--data-dir", str(data),
                                          "--demo-sensors", "--size", "800x480",
                                          "--windowed"])
    try:
        ready = notify_messages(notify, "READY=1", READY_WAIT_S)
        assert "READY=1" in ready, (ready, proc.poll())
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=EXIT_WAIT_S)
        stopping = notify_messages(notify, "STOPPING=1", 1.0)
        assert proc.returncode == 0, err
        assert "Traceback" not in err and "closed database" not in err, err
        assert "STOPPING=1" in stopping
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        notify.close()
