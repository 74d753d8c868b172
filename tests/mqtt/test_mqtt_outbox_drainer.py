"""The outbox drainer's rules, with a fake publisher (no broker): window, delete only on
success, refused rows stay, nothing published while disconnected, resend after restart."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from link_helpers import wait_for

from mqtt.outbox import OutboxDrainer
from therapy.outbox import Channel, OutboxItem, OutboxRow
from therapy.store import TherapyStore


class FakeBroker:
    """Records publishes; the test decides when and how each is acknowledged."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, OutboxRow]] = []
        self.lock = threading.Lock()
        self.mid = 0

    def publish(self, row: OutboxRow) -> int:
        with self.lock:
            self.mid += 1
            self.sent.append((self.mid, row))
            return self.mid


def _store(tmp_path: Path, n: int) -> TherapyStore:
    store = TherapyStore(tmp_path / "rehab.db")
    store.enqueue([OutboxItem(Channel.RECORDS, f"r{i}", b"x") for i in range(n)])
    return store


def test_window_order_and_delete_only_on_success(tmp_path: Path) -> None:
    store = _store(tmp_path, 30)
    fake = FakeBroker()
    d = OutboxDrainer(store, fake.publish, max_inflight=8)
    d.start()
    try:
        d.notify()
        time.sleep(0.3)
        assert fake.sent == []  # not connected: nothing is handed to the client
        d.set_connected(True, receive_maximum=65535)
        wait_for(lambda: len(fake.sent) == 8, 5, "a full window")
        assert [r.record_id for _m, r in fake.sent] == [f"r{i}" for i in range(8)]
        assert d.inflight == 8
        for mid, _row in fake.sent[:3]:
            d.on_publish(mid, 0)
        d.on_publish(fake.sent[3][0], 135)  # refused: stays in the outbox
        wait_for(lambda: len(fake.sent) == 12, 5, "the window to refill")
        wait_for(lambda: store.outbox_count() == 27, 5, "three deletes")
        remaining = {r.record_id for r in store.outbox_batch(0, 100)}
        assert {"r0", "r1", "r2"}.isdisjoint(remaining) and "r3" in remaining
        d.set_connected(False)
        for mid, _row in fake.sent[4:12]:
            d.on_publish(mid, 0)  # acks of messages already sent still count
        wait_for(lambda: d.inflight == 0, 5, "the acks")
        assert len(fake.sent) == 12  # but nothing new while disconnected
        d.set_connected(True, receive_maximum=5)  # a broker with Receive Maximum 5
        wait_for(lambda: len(fake.sent) == 15, 5, "3 more (5 less 2 for status)")
        assert d.inflight == 3
    finally:
        d.stop()
    left = store.outbox_count()
    assert left == 30 - 11 and store.outbox_batch(0, 1)[0].record_id == "r3"
    # a new process starts from the oldest row again: the refused r3 and unacked rows
    fake2 = FakeBroker()
    d2 = OutboxDrainer(store, fake2.publish, max_inflight=100)
    d2.start()
    d2.set_connected(True)
    try:
        wait_for(lambda: len(fake2.sent) == left, 5, "a resend of every row left")
        assert fake2.sent[0][1].record_id == "r3"
        for mid, _row in fake2.sent:
            d2.on_publish(mid, 16)  # 16 "No matching subscribers" is a success (< 128)
        assert d2.wait_idle(5)
    finally:
        d2.stop()
    assert store.outbox_count() == 0
