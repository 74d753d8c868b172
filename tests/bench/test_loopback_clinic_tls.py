"""The pinned kiosk bench's clinic speaks TLS to the kiosk, as a deployed clinic's broker
does (bench.loopback_clinic, tls=True): the kiosk's data folder names an mqtts:// broker and
the clinic's CA, the kiosk's own client (mqtt.client) connects verifying the broker against
that CA, and a client that does not trust the CA is refused."""

from __future__ import annotations

import threading
from pathlib import Path

from bench.loopback_clinic import LoopbackClinic
from mqtt.client import connect, make_client
from mqtt.config import load_config


def _connects(cfg, timeout_s: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    ok = threading.Event()
    client = make_client(cfg, "tls-probe")
    client.on_connect = lambda _c, _u, _f, rc, _p: rc == 0 and ok.set()
    connect(client, cfg)
    try:
        return ok.wait(timeout_s)
    finally:
        client.loop_stop()
        client.disconnect()


def test_the_kiosk_reaches_the_bench_clinic_over_tls(tmp_path: Path) -> None:
    from dataclasses import replace

    clinic = LoopbackClinic(tmp_path / "clinic", tls=True)
    try:
        clinic.configure(tmp_path / "data", "bench-kiosk")
        cfg = load_config(tmp_path / "data").broker
        assert cfg.tls and cfg.ca_file and Path(cfg.ca_file).is_file()
        assert cfg.port != clinic.port  # the TLS listener, not the clinic server's plain one
        assert _connects(cfg)
        system_cas = replace(cfg, ca_file="")  # the system's CAs do not know the clinic's
        assert not _connects(system_cas, 3.0)
    finally:
        clinic.stop()
