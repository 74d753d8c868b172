"""``rehab clinic serve``: ingest and the web application in one process.

Ingest is a :class:`~clinic.link.ClinicWatcher` (MQTT 5 persistent session, records through
the clinic's shared subscription, receipts after the commit), so several serve processes
on one broker split the records between them. The web application is
``clinic.web.app.create_app`` when it is installed, else a ``/healthz``-only app; either
way ``app.state.ingest`` gives ``/healthz`` the ingest's figures. uvicorn serves it on a
socket bound here first (a port in use is one clear error; port 0 picks a free one, printed
on the ``serving`` line). SIGTERM or SIGINT: uvicorn finishes the requests under way, then
ingest stops (pending receipts go out; what has no receipt the devices resend).
"""

from __future__ import annotations

import gc
import logging
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clinic.errors import ClinicError
from clinic.link import ClinicWatcher
from clinic.store import ClinicStore

log = logging.getLogger(__name__)


class ListenError(ClinicError):
    """The web listener cannot be bound (bad HOST:PORT, port in use, no permission)."""


@dataclass(frozen=True, slots=True)
class Listen:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Listen:
        host, sep, port = text.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ListenError(f"--listen {text!r}: use HOST:PORT, e.g. 127.0.0.1:8080 "
                              "(port 0 picks a free one)")
        return cls(host.strip("[]"), int(port))


def bind(listen: Listen) -> socket.socket:
    family = socket.AF_INET6 if ":" in listen.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((listen.host, listen.port))
    except OSError as exc:
        sock.close()
        raise ListenError(f"cannot listen on {listen.host}:{listen.port}: "
                          f"{exc.strerror or exc}") from exc
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class PublishError(ClinicError):
    """A message to a device did not reach the broker (not connected, refused, no PUBACK).
    ``maybe_sent``: paho holds it and may still deliver it (no PUBACK in time, or queued
    while the connection dropped); False when it was certainly not sent."""

    def __init__(self, text: str, maybe_sent: bool = False) -> None:
        super().__init__(text)
        self.maybe_sent = maybe_sent


class WatcherPublisher:
    """``publish(device, leaf, payload, retain=False)`` over ingest's own MQTT connection
    (the clinic's login may write plans and ``messages/in``; see docs/clinic-link.md), for
    the web application's pages (``create_app(..., publisher=...)``). Blocks until the
    broker's PUBACK, at most ``timeout_s``; raises :class:`PublishError`. A PUBACK that
    refuses (reason >= 128, e.g. an ACL) is not told apart here: Mosquitto 2.0 then also
    drops the connection, and the next publish raises."""

    def __init__(self, watcher: ClinicWatcher, timeout_s: float = 5.0) -> None:
        self.watcher = watcher
        self.timeout_s = timeout_s

    def publish(self, device: str, leaf: str, payload: bytes | str, retain: bool = False
                ) -> None:
        from mqtt.topics import Topics, valid_id

        if not valid_id(device):
            raise PublishError(f"device id {device!r} must be 1-64 of A-Z a-z 0-9 _ . -")
        if not self.watcher.connected.is_set():
            raise PublishError("not connected to the broker: try again shortly")
        topic = Topics(self.watcher.clinic, device).topic(leaf)
        info = self.watcher.client.publish(topic, payload, qos=1, retain=retain)
        try:
            info.wait_for_publish(self.timeout_s)
            published = info.is_published()
        except (RuntimeError, ValueError) as exc:  # paho: queued, not sent (disconnected)
            # ValueError: paho's queue was full, nothing kept; RuntimeError (no connection):
            # paho keeps a QoS 1 message and sends it once connected again
            raise PublishError(f"not sent to {device}: {exc}",
                               maybe_sent=isinstance(exc, RuntimeError)) from exc
        if not published:
            raise PublishError(f"the broker did not confirm the message to {device} within "
                               f"{self.timeout_s:g} s", maybe_sent=True)


def ingest_status(watcher: ClinicWatcher) -> Callable[[], dict[str, Any]]:
    """What ``/healthz`` shows of this process's ingest."""
    def status() -> dict[str, Any]:
        views = list(watcher.views.values())
        return {"connected": watcher.connected.is_set(), "received": watcher.received,
                "stored": sum(v.records for v in views),
                "duplicates": sum(v.duplicates for v in views),
                "refused": watcher.invalid, "receipts": watcher.receipts,
                # inbound refusals per reason; refusals sent (records quarantined) per reason
                "refused_by_reason": {str(k): v for k, v in watcher.stats.rejected.items()},
                "refusals_sent": dict(watcher.refusals.sent),
                "refused_not_kept": watcher.refusals.not_kept,
                "callback_errors": dict(watcher.guard.errors),
                "devices": len(views), "last_error": watcher.last_error,
                "check_workers": None if watcher.checks is None else {
                    "workers": watcher.checks.workers, "batches": watcher.checks.batches,
                    "checked_here": watcher.checks.inline,
                    "restarts": watcher.checks.restarts}}
    return status


def make_app(store: ClinicStore, clinic: str, watcher: ClinicWatcher, **web: Any) -> Any:
    """C2's web application when it imports, else the health-only app."""
    status = ingest_status(watcher)
    try:
        from clinic.web.app import create_app
    except ImportError as exc:
        log.warning("web application not available (%s): serving /healthz only", exc)
        from clinic.web.health import health_app

        return health_app(clinic, status)  # (the web options have nothing to apply to)
    app = create_app(store, clinic=clinic, publisher=WatcherPublisher(watcher),
                     live=watcher.live, **web)
    app.state.ingest = status
    from clinic.resender import attach_resender

    attach_resender(app, watcher)  # unacked replies again on a birth (docs/clinic-link.md)
    return app


def freeze_startup_objects() -> None:
    """Once the process is built, before ingest starts: what it holds by now (SQLAlchemy,
    paho, the web application, fhir.resources: 65,000-105,000 objects) is never garbage;
    frozen (``gc.freeze``), a full collection no longer walks it. With a 25 kB Bundle
    decoded per record one ran every ~1,000 records and took 40-90 ms (0.04 ms a record or
    more, the intake standing still meanwhile). No collection first: it would cost as much
    once, at a restart with a backlog waiting, and what start-up left as garbage is small.
    A process-wide choice, so it is made here, in the process's entry, not in the watcher
    (a test process that starts many watchers would keep its cyclic garbage for good)."""
    gc.freeze()


def serve(watcher: ClinicWatcher, app: Any, sock: socket.socket, *,
          on_ready: Callable[[str], None] | None = None, log_level: str = "warning") -> None:
    """Run until SIGTERM/SIGINT: ingest started first, stopped last."""
    import uvicorn

    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(app, log_level=log_level, lifespan="off", timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)

    def stop_soon(_sig: int, _frame: Any) -> None:
        server.should_exit = True

    # Ours outside uvicorn's: a signal before uvicorn listens still stops it, and the one
    # uvicorn re-raises after its graceful shutdown (to end the process) lands here, so
    # ingest is stopped below and the exit status is 0
    previous = {sig: signal.signal(sig, stop_soon) for sig in (signal.SIGTERM, signal.SIGINT)}
    freeze_startup_objects()
    watcher.start()
    try:
        if on_ready is not None:
            on_ready(f"http://{host}:{port}")
        server.run(sockets=[sock])  # handles SIGTERM/SIGINT: stops accepting, finishes
    finally:
        watcher.stop()  # flushes the receipts of what was committed
        sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
