"""The clinic's receipt batcher (no broker): full batches at once, the rest on the next
tick or at stop, one payload per device, every id once, in order."""

from __future__ import annotations

import threading

from tests.helpers.link_helpers import wait_for

from mqtt.delivery import decode_receipt
from clinic.receipts import ReceiptBatcher


def test_receipts_are_batched_per_device_and_none_is_lost() -> None:
    sent: list[tuple[str, tuple[str, ...]]] = []
    lock = threading.Lock()

    def publish(device: str, payload: bytes) -> None:
        with lock:
            sent.append((device, decode_receipt(payload)))

    b = ReceiptBatcher(publish, flush_s=3600.0)  # no tick within the test: explicit flushes
    for i in range(250):
        b.add("dev-a", f"a{i}")
    b.add("dev-b", "b0")
    assert [(d, len(ids)) for d, ids in sent] == [("dev-a", 100), ("dev-a", 100)]
    b.stop()  # what is pending goes out
    assert [(d, len(ids)) for d, ids in sent] == [("dev-a", 100), ("dev-a", 100),
                                                  ("dev-a", 50), ("dev-b", 1)]
    assert [i for d, ids in sent if d == "dev-a" for i in ids] == [f"a{i}" for i in range(250)]
    assert b.sent_ids == 251 and b.sent_payloads == 4

    ticking = ReceiptBatcher(publish, flush_s=0.01)
    ticking.start()
    try:
        ticking.add("dev-c", "c0")
        wait_for(lambda: ("dev-c", ("c0",)) in sent, 5, "the tick to flush")
    finally:
        ticking.stop()
