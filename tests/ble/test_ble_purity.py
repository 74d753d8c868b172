"""The BLE parsers and policies are pure: importing them loads no I/O library."""

from __future__ import annotations

PURE = ["sensors.ble.gatt", "sensors.ble.witmotion", "protocol.sequence",
        "sensors.set_supervision", "sensors.link_events", "sensors.ble.ports"]
IO = ["bleak", "bleak_retry_connector", "bumble", "dbus_fast", "serial", "sqlite3"]


def test_pure_modules_import_no_io_library(modules_loaded_by) -> None:
    assert [m for m in IO if m in modules_loaded_by(*PURE)] == []
