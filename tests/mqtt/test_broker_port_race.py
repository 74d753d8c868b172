"""The test broker chooses its own port; one taken between the choice and mosquitto's bind
(an outgoing connection's ephemeral port) makes it choose again instead of failing the test."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.helpers import rehab_broker
from tests.helpers.rehab_broker import Broker


def test_a_port_taken_before_mosquitto_binds_it_is_chosen_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = int(taken.getsockname()[1])
        picks = iter([busy, rehab_broker.free_port()])
        monkeypatch.setattr(rehab_broker, "free_port", lambda: next(picks))
        broker = Broker(tmp_path / "broker")
        assert broker.port == busy
        try:
            broker.start()
            assert broker.port != busy and broker.wait_ready(2)
            assert "Address already in use" in broker.log.read_text()
        finally:
            broker.stop()


def test_a_port_the_test_gave_is_not_changed(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = int(taken.getsockname()[1])
        broker = Broker(tmp_path / "broker", port=busy)
        with pytest.raises(RuntimeError, match="Address already in use"):
            broker.start(timeout_s=3)
        assert broker.port == busy
