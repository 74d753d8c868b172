"""The clinic-link tests' fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.rehab_broker import Broker


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A real Mosquitto of the test's own (MQTT 5 connect checked), stopped after it."""
    b = Broker(tmp_path / "broker").start()
    yield b
    b.stop()
