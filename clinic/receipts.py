"""The clinic's receipts, batched: one ``ack`` publish per device for up to 100 record ids.

A receipt per record made the clinic's QoS 1 receipts queue behind its own intake (paho
keeps 20 in flight, and their PUBACKs come back through the flood of incoming records):
3,000 records gave 2,800 receipts waiting in paho until the intake stopped. Batched, a
device gets its receipts while the clinic is still busy.

``add()`` is called after each commit (paho's network thread); a full batch is published at
once, the rest at most ``flush_s`` later by the flusher thread.

:class:`RefusalSender`: a record refused for good is answered on the same leaf with a
refusal (``mqtt.delivery.encode_refusal``), one per record (refusals are rare), and only
after its payload is kept in quarantine (``clinic.quarantine``): a record the clinic could
not keep gets no refusal, so the device resends it. A passing failure (``handler_error``:
the store down or locked, a worker that died) is never a refusal.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from typing import Callable

from mqtt.delivery import RECEIPT_MAX_IDS, encode_receipt, encode_refusal
from mqtt.inbound import Reject

log = logging.getLogger(__name__)
FLUSH_S = 0.05

# publish(device, payload): one receipt payload to that device's ack leaf
ReceiptPublisher = Callable[[str, bytes], None]


class ReceiptBatcher:
    def __init__(self, publish: ReceiptPublisher, *, flush_s: float = FLUSH_S,
                 max_ids: int = RECEIPT_MAX_IDS) -> None:
        self._publish = publish
        self.flush_s = flush_s
        self.max_ids = max_ids
        self._pending: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent_ids = 0
        self.sent_payloads = 0

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="receipts", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Publish what is pending, then end the flusher."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        self.flush()

    def add(self, device: str, record_id: str) -> None:
        with self._lock:
            ids = self._pending.setdefault(device, [])
            ids.append(record_id)
            full = ids if len(ids) >= self.max_ids else None
            if full is not None:
                del self._pending[device]
        if full is not None:
            self._send(device, full)

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, {}
        for device, ids in pending.items():
            self._send(device, ids)

    def _send(self, device: str, ids: list[str]) -> None:
        self._publish(device, encode_receipt(ids))
        self.sent_ids += len(ids)
        self.sent_payloads += 1

    def _run(self) -> None:
        while not self._stop.wait(self.flush_s):
            try:
                self.flush()
            except Exception:  # supervised boundary: the next tick tries again
                log.exception("publishing receipts failed")


# reasons that are not the record's fault: it is resent, never refused
TRANSIENT_REJECTS = frozenset({Reject.HANDLER_ERROR, Reject.UNKNOWN_TOPIC,
                               Reject.PLAN_REJECTED})
# keep(device, record_id, leaf, reason, detail, payload): commit it to quarantine or raise
Keeper = Callable[[str, str, str, str, str, bytes], None]


class RefusalSender:
    """Quarantine, then refuse: ``refuse()`` returns True when the device was told."""

    def __init__(self, keep: Keeper, publish: ReceiptPublisher,
                 keep_errors: tuple[type[BaseException], ...]) -> None:
        self._keep = keep
        self._publish = publish
        self._keep_errors = keep_errors
        self.sent: Counter[str] = Counter()  # refusals published, per reason code
        self.not_kept = 0  # refused records the store could not keep (no refusal sent)

    def refuse(self, device: str, record_id: str, leaf: str, reason: Reject, detail: str,
               payload: bytes) -> bool:
        if reason in TRANSIENT_REJECTS:
            return False
        try:
            self._keep(device, record_id, leaf, reason.value, detail, payload)
        except self._keep_errors as exc:
            self.not_kept += 1
            log.error("could not quarantine refused record %s from %s (%s): no refusal "
                      "sent, the device will send it again", record_id, device,
                      type(exc).__name__)
            return False
        self._publish(device, encode_refusal([(record_id, reason.value)]))
        self.sent[reason.value] += 1
        return True
