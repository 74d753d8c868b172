"""The wire protocol is one pure package under both transports (issue 13).

Before: ``sensors/ble`` imported ``firmware_bridge``'s messages, codec, clock, back-off and
stream config, and ``firmware_bridge`` rooted its errors in ``sensors``; there was no
``protocol`` package at all, so every test here failed.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
IO = ["bleak", "bleak_retry_connector", "bumble", "dbus_fast", "serial", "sqlite3", "paho",
      "kivy", "cv2", "asyncio", "socket"]  # not threading: numpy itself loads it
PROTOCOL_MODULES = sorted(f"protocol.{p.stem}" for p in (REPO / "protocol").glob("*.py"))


def _imports(package: str) -> set[str]:
    """Every module named by an import statement in the package's files."""
    found: set[str] = set()
    for path in (REPO / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
    return found


def test_protocol_imports_only_stdlib_numpy_and_itself() -> None:
    allowed = set(sys.stdlib_module_names) | {"numpy", "protocol"}
    assert len(PROTOCOL_MODULES) >= 10
    assert sorted(m for m in _imports("protocol") if m.split(".")[0] not in allowed) == []


def test_importing_protocol_loads_no_io_library(modules_loaded_by) -> None:
    loaded = modules_loaded_by(*PROTOCOL_MODULES)
    assert [m for m in IO if m in loaded] == []
    assert [m for m in loaded if m.split(".")[0] in ("sensors", "firmware_bridge")] == []


def test_serial_and_ble_transports_do_not_import_each_other() -> None:
    assert sorted(m for m in _imports("firmware_bridge") if m.startswith("sensors.ble")) == []
    assert sorted(m for m in _imports("sensors/ble") if m.startswith("firmware_bridge")) == []


def test_protocol_errors_have_one_root() -> None:
    from protocol.cobs import CobsError
    from protocol.errors import HandshakeError, PayloadError, ProtocolError

    assert all(issubclass(e, ProtocolError) for e in (CobsError, HandshakeError, PayloadError))


def test_the_wheel_ships_protocol_and_not_the_virtual_wearables() -> None:
    import tomllib

    from setuptools import find_packages

    find = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"]["find"]
    packages = set(find_packages(str(REPO), include=find["include"],
                                 exclude=find.get("exclude", ())))
    assert {"protocol", "firmware_bridge", "sensors.ble"} <= packages
    assert "sensors.ble.virtual" not in packages  # bumble is a test dependency
