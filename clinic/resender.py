"""The clinic's downlink resend: therapist replies, appointments, their moves and
cancellations a device has not acked are published again when it comes online and,
while it stays online, once they are an hour old (the rule is
:class:`clinic.downlink_resend.ResendRule`; docs/clinic-link.md, Downlink).

A resend is the first send's bytes: a reply is sealed again from the stored row
(``seal_message`` of the same id, text and time; Ed25519 signatures are deterministic);
an appointment's latest envelope is kept until its ack (:mod:`clinic.downlink_items`).
The device's once-per-id rule drops a reply it already has (and acks it again); an
appointment is replaced by id, a cancellation removes it once. Births come on paho's network thread (:attr:`clinic.link.ClinicWatcher.on_online`)
and are only queued there: this thread reads the store, seals and waits for each PUBACK.
``rehab clinic serve`` attaches one to its web application (:func:`attach_resender`);
the thread page shows "sent again <time>" and ``/healthz`` the counters under
``downlink``.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from clinic.downlink_items import unacked as unacked_kept
from clinic.downlink_resend import ResendLog, ResendRule, Unacked
from clinic.schema import devices, messages
from clinic.web.sending import SendError, send, signing_key
from therapy.clinic_items import seal_message

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class DownlinkResender:
    """``state``: the web application's state (engine, key_file, clinic, publisher)."""

    def __init__(self, state: Any, rule: ResendRule = ResendRule(),
                 clock: Clock = utc_now) -> None:
        self.state = state
        self.rule = rule
        self.clock = clock
        self.log = ResendLog.empty()
        self.counts: Counter[str] = Counter()  # births, passes, resent, failed
        self._births: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()
        self._resent: dict[str, set[str]] = {}  # device -> ids in the log (to forget them)
        self._thread: threading.Thread | None = None

    # --- on paho's thread: never blocks --------------------------------------------
    def on_online(self, device: str) -> None:
        self.counts["births"] += 1
        self._births.put(device)

    # --- the resend thread ---------------------------------------------------------
    def start(self) -> DownlinkResender:
        self._thread = threading.Thread(target=self._run, name="downlink-resend", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        self._births.put(None)
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            try:
                device = self._births.get(timeout=self.rule.check_s)
            except queue.Empty:
                device = ""
            if device is None:
                return
            try:  # a supervised task boundary: logged, counted, the thread goes on
                if device:
                    self.resend(device, birth=True)
                else:
                    self.check_online()
            except (SQLAlchemyError, OSError, ValueError) as exc:
                self.counts["failed"] += 1
                log.error("downlink resend to %s failed: %s", device or "online devices", exc)

    def check_online(self) -> int:
        """The periodic pass: stale unacked items of every device that is online."""
        self.counts["passes"] += 1
        with self.state.engine.connect() as conn:
            online = conn.execute(select(devices.c.device)
                                  .where(devices.c.state == "online")).scalars().all()
        return sum(self.resend(d, birth=False) for d in online)

    def unacked(self, device: str) -> list[tuple[Unacked, str]]:
        """The device's unacked replies with their text."""
        m = messages.c
        with self.state.engine.connect() as conn:
            rows = conn.execute(select(m.id, m.text, m.at).where(
                m.device == device, m.direction == "to_patient", m.acked_at.is_(None))).all()
        out = []
        for ident, text, at in rows:
            first = datetime.fromisoformat(at)
            out.append((Unacked(ident, device, first, self.log.last_sent(ident, first)), text))
        return out

    def kept(self, device: str) -> list[tuple[Unacked, bytes]]:
        """The device's unacked appointments, moves and cancellations, as signed."""
        return [(Unacked(k.id, device, k.sent_at, self.log.last_sent(k.id, k.sent_at)),
                 k.payload) for k in unacked_kept(self.state.engine, device)]

    def resend(self, device: str, *, birth: bool) -> int:
        """Publish again what is due for ``device``; returns how many went out."""
        replies, kept = self.unacked(device), self.kept(device)
        texts = {u.id: text for u, text in replies}
        payloads = {u.id: payload for u, payload in kept}
        with self._lock:  # acked since: nothing more to show or send
            done = self._resent.get(device, set()) - texts.keys() - payloads.keys()
            self.log.forget(done)
            self._resent.get(device, set()).difference_update(done)
        due = self.rule.due([u for u, _ in replies + kept], self.clock(), birth=birth)
        if not due:
            return 0
        key = None
        if any(u.id in texts for u in due):
            try:
                key = signing_key(self.state.key_file)
            except SendError as exc:
                self.counts["failed"] += 1
                log.error("cannot resend replies to %s: %s", device, exc)
                due = [u for u in due if u.id in payloads]
        sent = 0
        for u in due:
            payload = payloads.get(u.id) or seal_message(
                u.id, texts[u.id], u.first_sent, key,  # type: ignore[arg-type]
                clinic=self.state.clinic, device=device)
            try:
                send(self.state, device, "messages/in", payload)
            except SendError as exc:  # not connected or no PUBACK: the next pass tries
                self.counts["failed"] += 1
                log.warning("resend of %s to %s: %s", u.id, device, exc)
                break
            with self._lock:
                self.log.sent_again(u.id, self.clock())
                self._resent.setdefault(device, set()).add(u.id)
            sent += 1
        self.counts["resent"] += sent
        if sent:
            log.info("sent %d unacked item(s) again to %s (%s)", sent, device,
                     "came online" if birth else "unacked for an hour")
        return sent

    # --- what the pages show -------------------------------------------------------
    def sent_again(self) -> dict[str, str]:
        """Item id -> when it was last sent again (ISO 8601, UTC)."""
        with self._lock:
            return {i: at.isoformat() for i, (at, _n) in self.log.last.items()}

    def status(self) -> dict[str, Any]:
        return {**{k: self.counts[k] for k in ("births", "passes", "resent", "failed")},
                "unknown_acks": getattr(self.state, "unknown_acks", lambda: None)()}


def attach_resender(app: Any, watcher: Any, rule: ResendRule = ResendRule(),
                    clock: Clock = utc_now) -> DownlinkResender:
    """Resend through ``app``'s publisher on ``watcher``'s births; started."""
    state = app.state
    state.unknown_acks = lambda: watcher.unknown_acks
    resender = DownlinkResender(state, rule, clock).start()
    state.resender = resender
    watcher.on_online = resender.on_online
    return resender
