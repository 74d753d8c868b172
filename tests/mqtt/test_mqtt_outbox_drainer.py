"""The outbox drainer's rules, with a fake publisher (no broker) and a fake clock: window,
order, a PUBACK only marks a row as sent (16 "no matching subscribers" too), the clinic's
receipt deletes, refused rows stay, resends follow the back-off policy, nothing published
while disconnected, everything resent after a restart."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from tests.helpers.link_helpers import wait_for

from mqtt.delivery import (RECEIPT_MAX_BYTES, RECEIPT_MAX_IDS, ReceiptError, ResendPolicy,
                           decode_receipt, encode_receipt, receipts_for, resend_delay_s)
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

    def ids(self) -> list[str]:
        with self.lock:
            return [r.record_id for _m, r in self.sent]


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _store(tmp_path: Path, n: int) -> TherapyStore:
    store = TherapyStore(tmp_path / "rehab.db")
    store.enqueue([OutboxItem(Channel.RECORDS, f"r{i}", b"x") for i in range(n)])
    return store


def test_window_order_puback_marks_sent_and_receipt_deletes(tmp_path: Path) -> None:
    store = _store(tmp_path, 30)
    fake = FakeBroker()
    d = OutboxDrainer(store, fake.publish, max_inflight=8, resend=ResendPolicy(60, 2, 600, 60))
    d.start()
    try:
        d.notify()
        time.sleep(0.3)
        assert fake.sent == []  # not connected: nothing is handed to the client
        d.set_connected(True, receive_maximum=65535)
        wait_for(lambda: len(fake.sent) == 8, 5, "a full window")
        assert fake.ids() == [f"r{i}" for i in range(8)]
        assert d.inflight == 8
        for mid, _row in fake.sent[:3]:
            d.on_publish(mid, 0)
        d.on_publish(fake.sent[3][0], 16)  # "no matching subscribers": the broker dropped it
        d.on_publish(fake.sent[4][0], 135)  # refused: stays in the outbox, not resent
        wait_for(lambda: len(fake.sent) == 13, 5, "the window to refill")
        assert d.awaiting_receipt == 4 and d.stats.unrouted == 1
        time.sleep(0.2)
        assert store.outbox_count() == 30  # a PUBACK, even reason 0, deletes nothing
        d.on_receipt(["r0", "r2", "r3"])  # the clinic committed these
        wait_for(lambda: store.outbox_count() == 27, 5, "three deletes")
        remaining = {r.record_id for r in store.outbox_batch(0, 100)}
        assert {"r0", "r2", "r3"}.isdisjoint(remaining) and {"r1", "r4"} <= remaining
        d.on_receipt(["r9"])  # a receipt that comes before the row's PUBACK
        wait_for(lambda: "r9" not in {r.record_id for r in store.outbox_batch(0, 100)}, 5,
                 "the early receipt")
        d.on_publish(fake.sent[9][0], 0)
        d.set_connected(False)
        for mid, _row in fake.sent[5:13]:
            d.on_publish(mid, 0)  # acks of messages already sent still count
        wait_for(lambda: d.inflight == 0, 5, "the acks")
        assert len(fake.sent) == 13  # but nothing new while disconnected
        d.set_connected(True, receive_maximum=5)  # a broker with Receive Maximum 5
        wait_for(lambda: len(fake.sent) == 16, 5, "3 more (5 less 2 for status)")
        assert d.inflight == 3
    finally:
        d.stop()
    left = store.outbox_count()
    assert left == 30 - 4 and d.stats.receipts == 4 and d.stats.deleted == 4
    assert not d.wait_idle(0.2)  # rows the broker took still wait for the clinic
    # a new process starts from the oldest row again: refused, unconfirmed and unsent rows
    fake2 = FakeBroker()
    d2 = OutboxDrainer(store, fake2.publish, max_inflight=100)
    d2.start()
    d2.set_connected(True)
    try:
        wait_for(lambda: len(fake2.sent) == left, 5, "a resend of every row left")
        assert fake2.sent[0][1].record_id == "r1"
        for mid, _row in fake2.sent:
            d2.on_publish(mid, 16)
        time.sleep(0.2)
        assert store.outbox_count() == left  # 16 is not a delivery
        d2.on_receipt([r.record_id for _m, r in fake2.sent])
        assert d2.wait_idle(5)
    finally:
        d2.stop()
    assert store.outbox_count() == 0


def test_unconfirmed_rows_are_resent_with_back_off(tmp_path: Path) -> None:
    store = _store(tmp_path, 3)
    fake, clock = FakeBroker(), FakeClock()
    policy = ResendPolicy(first_s=10, factor=3, max_s=50, unrouted_first_s=4)
    d = OutboxDrainer(store, fake.publish, resend=policy, clock=clock)
    d.start()
    d.set_connected(True)
    try:
        wait_for(lambda: len(fake.sent) == 3, 5, "first sends")
        for mid, _row in fake.sent:
            d.on_publish(mid, 16)
        wait_for(lambda: d.awaiting_receipt == 3, 5, "PUBACKs")
        schedule = []
        for step_s in (3.9, 0.2, 29.9, 0.2, 49.9, 0.2, 49.9, 0.2):
            clock.t += step_s
            d.notify()
            time.sleep(0.1)
            schedule.append(len(fake.sent))
            for mid, _row in fake.sent[-3:]:
                d.on_publish(mid, 0)
            wait_for(lambda: d.inflight == 0, 5, "PUBACKs of the resends")
        # resent 4 s after "no matching subscribers", then (PUBACK 0) 10 x 3 = 30 s, then
        # 50 s (90 capped) after each accepted send
        assert schedule == [3, 6, 6, 9, 9, 12, 12, 15]
        assert d.stats.resent == 12 and fake.ids()[-3:] == ["r0", "r1", "r2"]
        d.on_receipt(["r1"])
        clock.t += 50.1
        d.notify()
        wait_for(lambda: len(fake.sent) == 17, 5, "two resends")
        assert fake.ids()[-2:] == ["r0", "r2"]  # the confirmed row is not sent again
    finally:
        d.stop()
    assert store.outbox_count() == 2


def test_an_away_clinic_gets_probes_not_every_row_again(tmp_path: Path) -> None:
    store = _store(tmp_path, 30)
    fake, clock = FakeBroker(), FakeClock()
    policy = ResendPolicy(first_s=10, factor=1, max_s=10, unrouted_first_s=10, probe_rows=5)
    d = OutboxDrainer(store, fake.publish, resend=policy, clock=clock)
    d.start()
    d.set_connected(True)
    try:
        wait_for(lambda: len(fake.sent) == 30, 5, "first sends")
        for round_no in (1, 2):  # nobody confirms anything: 5 probes a round, 25 held
            for mid, _row in fake.sent[-30 if round_no == 1 else -5:]:
                d.on_publish(mid, 16)
            wait_for(lambda: d.inflight == 0, 5, "PUBACKs")
            clock.t += 10.1
            d.notify()
            wait_for(lambda n=30 + 5 * round_no: len(fake.sent) == n, 5, "5 probes")
            time.sleep(0.1)
            assert len(fake.sent) == 30 + 5 * round_no
            assert fake.ids()[-5:] == [f"r{i}" for i in range(5)]
        d.on_receipt(["r0"])  # the clinic is back: the held rows go at once
        wait_for(lambda: len(fake.sent) == 65, 5, "the 25 held rows")
        assert fake.ids()[40:] == [f"r{i}" for i in range(5, 30)]
        assert d.stats.resent == 35
    finally:
        d.stop()


def test_resend_policy_is_a_pure_function() -> None:
    p = ResendPolicy(first_s=30, factor=2, max_s=1800)
    assert [resend_delay_s(p, n) for n in (1, 2, 3, 6, 7, 10_000)] == [30, 60, 120, 960,
                                                                       1800, 1800]
    assert [resend_delay_s(p, n, unrouted=True) for n in (1, 2, 11, 12)] == [2, 4, 1800, 1800]
    with pytest.raises(ValueError):
        resend_delay_s(p, 0)
    with pytest.raises(ValueError):
        ResendPolicy(first_s=0)


def test_receipt_codec_bounds() -> None:
    ids = [f"id-{i}" for i in range(250)]
    chunks = receipts_for(ids + ids[:5])  # duplicates go once
    assert [len(decode_receipt(c)) for c in chunks] == [100, 100, 50]
    assert sum((list(decode_receipt(c)) for c in chunks), []) == ids
    assert decode_receipt(encode_receipt(["ack-" + "a" * 36])) == ("ack-" + "a" * 36,)
    bad = {b"": "not_json", b"{}": "bad_field", b"[]": "bad_field", b'"x"': "bad_field",
           b"[1]": "bad_field", b'["a\\u0000"]': "bad_field", b'["' + b"a" * 81 + b'"]':
           "bad_field", b"[" * 100_000: "oversize", b"\xff[]": "not_json",
           ("[" + ",".join(['"a"'] * (RECEIPT_MAX_IDS + 1)) + "]").encode(): "bad_field",
           b"[" * 5000 + b"]" * 5000: "not_json"}
    for payload, kind in bad.items():
        with pytest.raises(ReceiptError) as info:
            decode_receipt(payload)
        assert info.value.kind == kind, payload[:20]
    assert len(b"[" * 100_000) > RECEIPT_MAX_BYTES
    with pytest.raises(ReceiptError):
        encode_receipt([])
