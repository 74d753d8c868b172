"""The durable outbox drainer: SQLite rows -> QoS 1 publishes -> delete on PUBACK success.

Rules (see docs/clinic-link.md):

- rows are read oldest first, at most ``window`` of them in flight (handed to paho and not
  yet acknowledged); ``window`` is ``max_inflight`` capped by the broker's Receive Maximum;
- nothing is published while disconnected, so a broker outage grows the SQLite file only;
  paho itself resends its in-flight messages after a reconnect (same packet ids);
- a row is deleted only when ``on_publish`` reports a reason code < 128 for its packet id
  (deletes are batched: a crash before the delete means a resend, which the clinic drops
  by identifier); a row the broker refuses (e.g. 135 Not authorized) is logged as an
  error and stays in the outbox; it is tried again by the next process that drains;
- after a restart every remaining row is sent again.

Threads: paho's network thread only puts acks on a queue; the drainer thread does all
publishing, bookkeeping and SQLite work.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Callable

from therapy.store import OutboxRow, TherapyStore

log = logging.getLogger(__name__)

DELETE_BATCH = 500
DELETE_DELAY_S = 0.05
IDLE_POLL_S = 0.5
STATUS_HEADROOM = 2


@dataclass(slots=True)
class DrainStats:
    published: int = 0
    acked: int = 0
    refused: int = 0
    deleted: int = 0


# publish(row) -> paho message id (or None when paho refused it outright)
Publisher = Callable[[OutboxRow], "int | None"]


class OutboxDrainer:
    """Drains ``store``'s outbox through ``publish`` on its own thread."""

    def __init__(self, store: TherapyStore, publish: Publisher, *, max_inflight: int = 100,
                 reason_names: Callable[[int], str] = str) -> None:
        self.store = store
        self._publish = publish
        self.max_inflight = max_inflight
        self.window = max_inflight
        self._reason_names = reason_names
        self._acks: queue.SimpleQueue[tuple[int, int]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._connected = False
        self._stop = False
        self._inflight: dict[int, int] = {}  # mid -> row id
        self._to_delete: list[int] = []
        self._first_pending = 0.0
        self._cursor = 0
        self._refused: set[int] = set()
        self._at_end = False
        self.stats = DrainStats()
        self._idle = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-drainer", daemon=True)

    # --- called from other threads ----------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._flush_deletes(force=True)

    def set_connected(self, connected: bool, receive_maximum: int = 65535) -> None:
        # keep two of the broker's Receive Maximum for the link's own QoS 1 status messages
        self.window = max(1, min(self.max_inflight, receive_maximum - STATUS_HEADROOM))
        self._connected = connected
        self._wake.set()

    def notify(self) -> None:
        """New rows were committed."""
        self._at_end = False
        self._idle.clear()
        self._wake.set()

    def on_publish(self, mid: int, reason_code: int) -> None:
        """paho's on_publish (any thread)."""
        self._acks.put((mid, reason_code))
        self._wake.set()

    @property
    def inflight(self) -> int:
        return len(self._inflight)

    @property
    def refused_rows(self) -> int:
        return len(self._refused)

    def wait_idle(self, timeout_s: float) -> bool:
        """True once everything that can be sent was acknowledged and deleted."""
        deadline = time.monotonic() + timeout_s
        while True:
            self.notify()
            if not self._idle.wait(max(0.0, deadline - time.monotonic())):
                return False
            if self.store.outbox_count() <= len(self._refused):
                return True
            time.sleep(0.01)

    # --- the drainer thread -----------------------------------------------------------
    def _run(self) -> None:
        while not self._stop:
            self._wake.wait(IDLE_POLL_S)
            self._wake.clear()
            try:
                self._step()
            except Exception:  # supervised boundary: log, back off and carry on
                log.exception("outbox drainer step failed; retrying")
                time.sleep(0.5)

    def _step(self) -> None:
        self._take_acks()
        while self._connected and not self._stop and len(self._inflight) < self.window:
            room = self.window - len(self._inflight)
            rows = self.store.outbox_batch(self._cursor, min(room, 256))
            if not rows:
                self._at_end = True
                break
            for row in rows:
                mid = self._publish(row)
                self._cursor = row.id
                if mid is None:
                    continue
                self._inflight[mid] = row.id
                self.stats.published += 1
            self._take_acks()
        self._flush_deletes(force=not self._inflight)
        if self._at_end and not self._inflight and not self._to_delete:
            self._idle.set()

    def _take_acks(self) -> None:
        while True:
            try:
                mid, rc = self._acks.get_nowait()
            except queue.Empty:
                break
            row_id = self._inflight.pop(mid, None)
            if row_id is None:
                continue  # not an outbox publish (status, live)
            if rc < 128:
                if not self._to_delete:
                    self._first_pending = time.monotonic()
                self._to_delete.append(row_id)
                self.stats.acked += 1
            else:
                self._refused.add(row_id)
                self.stats.refused += 1
                log.error("broker refused outbox row %d: %s (reason code %d); it stays in "
                          "the outbox", row_id, self._reason_names(rc), rc)
        self._flush_deletes(force=False)

    def _flush_deletes(self, force: bool) -> None:
        if not self._to_delete:
            return
        due = (len(self._to_delete) >= DELETE_BATCH
               or time.monotonic() - self._first_pending >= DELETE_DELAY_S)
        if force or due:
            ids, self._to_delete = self._to_delete, []
            self.store.outbox_delete(ids)
            self.stats.deleted += len(ids)
