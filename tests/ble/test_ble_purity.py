"""The BLE parsers and policies are pure: importing them loads no I/O library."""

from __future__ import annotations

import subprocess
import sys

PURE = ["sensors.ble.gatt", "sensors.ble.witmotion", "sensors.ble.tracking",
        "sensors.ble.supervision", "sensors.ble.events", "sensors.ble.ports"]
IO = ["bleak", "bleak_retry_connector", "bumble", "dbus_fast", "serial", "sqlite3"]


def test_pure_modules_import_no_io_library() -> None:
    code = (f"import sys\nfor m in {PURE!r}: __import__(m)\n"
            f"print([m for m in {IO!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
