"""The clinic's receipts, batched: one ``ack`` publish per device for up to 100 record ids.

A receipt per record made the clinic's QoS 1 receipts queue behind its own intake (paho
keeps 20 in flight, and their PUBACKs come back through the flood of incoming records):
3,000 records gave 2,800 receipts waiting in paho until the intake stopped. Batched, a
device gets its receipts while the clinic is still busy.

``add()`` is called after each commit (paho's network thread); a full batch is published at
once, the rest at most ``flush_s`` later by the flusher thread.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

from mqtt.delivery import RECEIPT_MAX_IDS, encode_receipt

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
