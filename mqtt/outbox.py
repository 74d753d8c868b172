"""The durable outbox drainer: SQLite rows -> QoS 1 publishes -> delete on the CLINIC's receipt.

Rules (see docs/clinic-link.md, "Delivery contract", and :mod:`mqtt.delivery`):

- rows are read oldest first, at most ``window`` of them in flight (handed to paho and not
  yet acknowledged by the broker); ``window`` is ``max_inflight`` capped by the broker's
  Receive Maximum;
- nothing is published while disconnected, so a broker outage grows the SQLite file only;
  paho itself resends its in-flight messages after a reconnect (same packet ids);
- a PUBACK with a reason code < 128 (0, or 16 "no matching subscribers": the broker dropped
  it) only marks the row as sent; the row is deleted when a receipt from the clinic names
  its record id (:meth:`OutboxDrainer.on_receipt`). A sent row without a receipt is
  published again after :func:`mqtt.delivery.resend_delay_s` (back-off per row); the
  clinic drops a copy it already holds by identifier and confirms it again (a PUBACK 16
  starts a shorter back-off: the broker dropped that copy); while no receipt comes, only a
  few probe rows are resent per round, so an away clinic's queue does not fill with copies;
- a row the broker refuses (reason >= 128, e.g. 135 Not authorized) is logged as an error
  and stays in the outbox untouched; it is tried again by the next process that drains;
- a record the clinic refuses for good (its refusal on the ``ack`` leaf,
  :meth:`OutboxDrainer.on_refusal`) keeps its row, marked refused with the clinic's reason
  (:mod:`therapy.outbox_refusals`), and is not sent again until a maintainer requeues it;
  receipts are taken before refusals, and a receipt for a refused row deletes it (accepted
  wins); a refusal for a record with no waiting row is counted and ignored;
- after a restart every remaining row is sent again (nothing of this bookkeeping is on disk).

Threads: paho's network thread only puts PUBACKs and receipts on queues; the drainer thread
does all publishing, bookkeeping and SQLite work.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterable

from mqtt.delivery import DEFAULT_RESEND, Refusal, ResendPolicy, resend_delay_s
from therapy.outbox_refusals import delete_refused, mark_refused
from therapy.store import OutboxRow, TherapyStore

log = logging.getLogger(__name__)

IDLE_POLL_S = 0.5
STATUS_HEADROOM = 2
NO_MATCHING_SUBSCRIBERS = 16
EARLY_RECEIPTS_MAX = 100_000  # receipts for rows this process has not sent yet (restart)


@dataclass(slots=True)
class DrainStats:
    published: int = 0  # publishes handed to paho (first sends and resends)
    acked: int = 0  # PUBACKs < 128
    unrouted: int = 0  # of which reason 16: nobody subscribed, the broker dropped it
    refused: int = 0  # PUBACKs >= 128
    resent: int = 0  # publishes of rows already sent once in this process
    receipts: int = 0  # record ids the clinic confirmed
    deleted: int = 0  # outbox rows deleted on those receipts
    clinic_refused: int = 0  # records the clinic refused for good (rows kept, marked)
    clinic_refused_unknown: int = 0  # refusals naming no waiting row (ignored)


@dataclass(slots=True)
class _Sent:
    """A row the broker accepted that waits for the clinic's receipt."""

    record_id: str
    sends: int
    due: float  # monotonic time of the next resend


# publish(row) -> paho message id (or None when paho refused it outright)
Publisher = Callable[[OutboxRow], "int | None"]


class OutboxDrainer:
    """Drains ``store``'s outbox through ``publish`` on its own thread."""

    def __init__(self, store: TherapyStore, publish: Publisher, *, max_inflight: int = 100,
                 reason_names: Callable[[int], str] = str,
                 resend: ResendPolicy = DEFAULT_RESEND,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self._publish = publish
        self.max_inflight = max_inflight
        self.window = max_inflight
        self.resend = resend
        self._now = clock
        self._reason_names = reason_names
        self._acks: queue.SimpleQueue[tuple[int, int]] = queue.SimpleQueue()
        self._receipts: queue.SimpleQueue[tuple[str, ...]] = queue.SimpleQueue()
        self._refusals: queue.SimpleQueue[tuple[Refusal, ...]] = queue.SimpleQueue()
        self.wall_clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
        self._wake = threading.Event()
        self._connected = False
        self._stop = False
        self._inflight: dict[int, OutboxRow] = {}  # mid -> row
        self._sent: dict[int, _Sent] = {}  # row id -> waiting for a receipt
        self._sends: dict[int, int] = {}  # row id -> accepted publishes so far
        self._rows_of: dict[str, set[int]] = {}  # record id -> row ids sent or in flight
        self._early: set[str] = set()  # receipts for rows not sent by this process yet
        self._early_rows: list[int] = []
        self._first_pass_done = False
        self._held: set[int] = set()  # due rows held back while the clinic is away
        self._receipt_since_round = False  # no receipt since the last resend round
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
        self._take_receipts()
        self._take_refusals()

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

    def on_receipt(self, record_ids: Iterable[str]) -> None:
        """The clinic committed these records (any thread): their rows may go."""
        self._receipts.put(tuple(record_ids))
        self._wake.set()

    def on_refusal(self, refusals: Iterable[Refusal]) -> None:
        """The clinic refused these records for good (any thread): keep, mark, stop."""
        self._refusals.put(tuple(refusals))
        self._wake.set()

    @property
    def inflight(self) -> int:
        return len(self._inflight)

    @property
    def awaiting_receipt(self) -> int:
        """Rows the broker accepted in this process that the clinic has not confirmed."""
        return len(self._sent)

    @property
    def refused_rows(self) -> int:
        return len(self._refused)

    def wait_idle(self, timeout_s: float) -> bool:
        """True once every row that can be sent was confirmed by the clinic and deleted."""
        deadline = time.monotonic() + timeout_s
        while True:
            self.notify()
            if not self._idle.wait(max(0.0, deadline - time.monotonic())):
                return False
            if self.store.outbox_count() <= len(self._refused):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

    # --- the drainer thread -----------------------------------------------------------
    def _run(self) -> None:
        while not self._stop:
            self._wake.wait(self._sleep_s())
            self._wake.clear()
            try:
                self._step()
            except Exception:  # supervised boundary: log, back off and carry on
                log.exception("outbox drainer step failed; retrying")
                time.sleep(0.5)

    def _sleep_s(self) -> float:
        if not self._sent or not self._connected or len(self._inflight) >= self.window:
            return IDLE_POLL_S  # (a PUBACK or a receipt wakes the thread)
        return max(0.0, min(IDLE_POLL_S, min(s.due for s in self._sent.values()) - self._now()))

    def _step(self) -> None:
        self._take_acks()
        self._take_receipts()
        self._take_refusals()
        while self._connected and not self._stop and len(self._inflight) < self.window:
            room = self.window - len(self._inflight)
            rows = self.store.outbox_batch(self._cursor, min(room, 256))
            if not rows:
                self._at_end = True
                break
            for row in rows:
                self._cursor = row.id
                self._send(row)
            self._delete_early_rows()
            self._take_acks()
        if self._at_end and not self._first_pass_done:
            # every row there was at start has been sent once: a receipt for a record id
            # this process does not know is now a stale duplicate, not an early one
            self._first_pass_done = True
            self._early.clear()
        if self._connected and not self._stop:
            self._resend_due()
        if self._at_end and not self._inflight:
            self._idle.set()

    def _send(self, row: OutboxRow) -> None:
        if row.record_id in self._early:  # the clinic confirmed it before we resent it
            self._early_rows.append(row.id)
            return
        mid = self._publish(row)
        if mid is None:  # paho refused it outright: try again after the back-off
            self._mark_sent(row.id, row.record_id)
            return
        self._inflight[mid] = row
        self._rows_of.setdefault(row.record_id, set()).add(row.id)
        self.stats.published += 1

    def _delete_early_rows(self) -> None:
        if self._early_rows:
            rows, self._early_rows = self._early_rows, []
            self.store.outbox_delete(rows)
            self.stats.deleted += len(rows)

    def _resend_due(self) -> None:
        now = self._now()
        due = sorted((s.due, row_id) for row_id, s in self._sent.items() if s.due <= now)
        if not self._receipt_since_round:
            # no receipt since the last resends: the clinic is away; probe with the oldest
            # few, hold the rest until a receipt comes (_take_receipts releases them)
            for _due, row_id in due[self.resend.probe_rows:]:
                held = self._sent[row_id]
                held.due = now + resend_delay_s(self.resend, held.sends)
                self._held.add(row_id)
            due = due[:self.resend.probe_rows]
        due = due[:max(0, self.window - len(self._inflight))]
        if due:
            self._receipt_since_round = False
        for _due, row_id in due:
            sent = self._sent.pop(row_id)
            found = self.store.outbox_batch(row_id - 1, 1)
            if not found or found[0].id != row_id:
                self._forget(row_id, sent.record_id)  # deleted meanwhile
                continue
            self.stats.resent += found[0].record_id not in self._early
            self._send(found[0])
        self._delete_early_rows()

    def _mark_sent(self, row_id: int, record_id: str, unrouted: bool = False) -> None:
        sends = self._sends.get(row_id, 0) + 1
        self._sends[row_id] = sends
        self._sent[row_id] = _Sent(record_id, sends,
                                   self._now() + resend_delay_s(self.resend, sends, unrouted))
        self._rows_of.setdefault(record_id, set()).add(row_id)

    def _forget(self, row_id: int, record_id: str) -> None:
        self._sent.pop(row_id, None)
        self._sends.pop(row_id, None)
        rows = self._rows_of.get(record_id)
        if rows is not None:
            rows.discard(row_id)
            if not rows:
                del self._rows_of[record_id]

    def _take_acks(self) -> None:
        while True:
            try:
                mid, rc = self._acks.get_nowait()
            except queue.Empty:
                break
            row = self._inflight.pop(mid, None)
            if row is None:
                continue  # not an outbox publish (status, live)
            if rc < 128:
                self.stats.acked += 1
                if rc == NO_MATCHING_SUBSCRIBERS:
                    self.stats.unrouted += 1
                if row.id in self._rows_of.get(row.record_id, ()):
                    self._mark_sent(row.id, row.record_id,
                                    unrouted=rc == NO_MATCHING_SUBSCRIBERS)
                # else: the receipt came before the PUBACK and the row is gone
            else:
                self._refused.add(row.id)
                self._forget(row.id, row.record_id)
                self.stats.refused += 1
                log.error("broker refused outbox row %d: %s (reason code %d); it stays in "
                          "the outbox", row.id, self._reason_names(rc), rc)

    def _take_receipts(self) -> None:
        ids: set[str] = set()
        while True:
            try:
                ids.update(self._receipts.get_nowait())
            except queue.Empty:
                break
        if not ids:
            return
        self.stats.receipts += len(ids)
        self._receipt_since_round = True
        now = self._now()
        for row_id in self._held:  # the clinic is back: what waited may go now
            if row_id in self._sent:
                self._sent[row_id].due = now
        self._held.clear()
        rows: list[int] = []
        unknown: list[str] = []
        for record_id in ids:
            known = self._rows_of.pop(record_id, None)
            if known is None:
                unknown.append(record_id)
                if not self._first_pass_done and len(self._early) < EARLY_RECEIPTS_MAX:
                    self._early.add(record_id)
                continue
            for row_id in known:
                self._sent.pop(row_id, None)
                self._sends.pop(row_id, None)
                rows.append(row_id)
        if rows:
            self.store.outbox_delete(rows)
            self.stats.deleted += len(rows)
        # a receipt for a row the clinic had refused (another ingest process stored it):
        # accepted wins, the row goes
        self.stats.deleted += delete_refused(self.store, unknown)
        # a row in flight whose receipt came first: its PUBACK finds no record id, so
        # it is not marked as sent; the delete above already removed it

    def _take_refusals(self) -> None:
        refusals: dict[str, str] = {}
        while True:
            try:
                refusals.update(self._refusals.get_nowait())
            except queue.Empty:
                break
        if not refusals:
            return
        marked = mark_refused(self.store, list(refusals.items()), self.wall_clock())
        for record_id in refusals:
            for row_id in self._rows_of.pop(record_id, set()):
                self._sent.pop(row_id, None)
                self._sends.pop(row_id, None)
                self._held.discard(row_id)
        self.stats.clinic_refused += len(marked)
        unknown = len(refusals) - len(marked)
        self.stats.clinic_refused_unknown += unknown
        for record_id in marked:
            log.error("the clinic refused record %s (%s): kept in the outbox, not sent again "
                      "until requeued (rehab sync --retry-refused)", record_id,
                      refusals[record_id])
        if unknown:
            log.warning("%d refusal(s) from the clinic name no waiting record; ignored",
                        unknown)
