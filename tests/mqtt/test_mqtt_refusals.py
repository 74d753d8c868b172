"""Records the clinic refuses for good, through a real Mosquitto (issue 12 follow-up).

The clinic keeps a refused payload in quarantine and answers with a refusal on the
device's ``ack`` leaf; the device keeps the row marked refused and stops resending it;
``rehab sync --retry-refused`` sends it again. Unlucky orders: a receipt after a refusal
(another serve process accepted it) deletes the row, a refusal after a receipt changes
nothing, a refusal for an unknown id is counted and ignored, malformed refusals are
refused and counted, and a passing failure (the clinic's store refusing writes) is never a
refusal: the record stays unacknowledged and is resent.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlite_faults import InsertFault
from tests.helpers.delivery_helpers import add_pain_records
from tests.helpers.link_helpers import device_config, start_watcher, wait_for
from tests.helpers.refused_records import not_fhir_observation
from tests.helpers.rehab_broker import Broker

from clinic.link import publish_once
from clinic.quarantine import refused, refused_by_reason, refused_payload
from mqtt.config import load_config
from mqtt.delivery import ResendPolicy, encode_receipt, encode_refusal
from mqtt.device import DeviceLink
from mqtt.inbound import Reject
from rehab.cli import main
from therapy.outbox import Channel, OutboxItem
from therapy.outbox_refusals import refused_count, refused_rows
from therapy.store import TherapyStore

pytestmark = pytest.mark.timeout(90)
QUICK = ResendPolicy(first_s=0.3, factor=2.0, max_s=0.6, unrouted_first_s=0.3)
BAD_RECORD = not_fhir_observation(1)


def _bad(store: TherapyStore, record_id: str = "bad-1") -> None:
    store.enqueue([OutboxItem(Channel.RECORDS, record_id, BAD_RECORD)])


def _link(tmp_path: Path, url: str, store: TherapyStore) -> DeviceLink:
    link = DeviceLink(device_config(tmp_path / "dev", url), store, resend=QUICK,
                      reconnect_max_s=1)
    link.start()
    assert link.wait_connected(10)
    return link


def test_a_refused_record_is_kept_on_both_sides_and_not_resent(
        broker: Broker, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = TherapyStore(tmp_path / "dev" / "rehab.db")
    good = add_pain_records(store, "dev-1", 2)
    _bad(store)
    watcher = start_watcher(tmp_path / "clinic", broker.url)
    link = _link(tmp_path, broker.url, store)
    try:
        assert link.wait_drained(15)  # the good ones confirmed, the bad one refused
        wait_for(lambda: link.drainer.stats.clinic_refused == 1, 10, "the refusal")
        assert watcher.store.identifiers() == good
        assert store.outbox_count() == 0 and refused_count(store) == 1
        [row] = refused_rows(store)
        assert (row.record_id, row.code, row.channel) == ("bad-1", "not_fhir", "records")
        [q] = refused(watcher.store)
        assert (q.device, q.record_id, q.reason, q.refusals) == ("dev-1", "bad-1", "not_fhir",
                                                                 1)
        assert refused_payload(watcher.store, "dev-1", "bad-1") == BAD_RECORD
        published = link.drainer.stats.published
        time.sleep(3 * QUICK.max_s)  # several resend periods: the refused row stays put
        assert link.drainer.stats.published == published
        assert watcher.refusals.sent == {"not_fhir": 1}
    finally:
        link.stop()
    # rehab sync lists it and exits 1; --retry-refused sends it again (refused again here)
    common = ["--device", "dev-1", "--clinic", "c1", "--broker", broker.url, "--data-dir",
              str(tmp_path / "dev"), "--timeout", "5"]
    try:
        assert main(["sync", *common]) == 1
        out = capsys.readouterr().out
        assert "1 record the clinic refused" in out and "bad-1 (not_fhir" in out
        assert main(["sync", "--retry-refused", *common]) == 1
        out = capsys.readouterr().out
        assert "requeued 1 refused record" in out
        wait_for(lambda: refused(watcher.store)[0].refusals == 2, 10, "the second refusal")
        assert refused_count(store) == 1 and store.outbox_count() == 0
        assert main(["doctor", "--data-dir", str(tmp_path / "dev")]) == 0
        doctor = capsys.readouterr().out
        assert "warn  refused records: 1 record(s) the clinic refused (not_fhir 1), kept " \
               "here: bad-1 (not_fhir)" in doctor
        print(f"\nrefused record: quarantined at the clinic ({refused_by_reason(watcher.store)}),"
              f" kept on the device, {published} publishes and none after; sync: "
              f"{out.strip().splitlines()[-1]}")
    finally:
        watcher.stop()
        store.close()


def test_unlucky_orders_of_receipts_and_refusals(broker: Broker, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The clinic's answers published by hand, in the orders two serve processes can give."""
    store = TherapyStore(tmp_path / "dev" / "rehab.db")
    for rid in ("r-accepted-then-refused", "r-refused-then-accepted", "r-refused"):
        _bad(store, rid)
    link = _link(tmp_path, broker.url, store)
    cfg = load_config(tmp_path / "tool", broker=broker.url, require_device=False)
    ack = "rehab/v1/c1/dev-1/ack"

    def send(payload: bytes) -> None:
        publish_once(cfg.broker, "clinic-b", ack, payload, as_tool=False)

    stats = link.drainer.stats
    try:
        wait_for(lambda: stats.unrouted >= 3, 10, "3 sends nobody took")
        # a receipt from one serve process, then a refusal from another: accepted wins
        send(encode_receipt(["r-accepted-then-refused"]))
        wait_for(lambda: stats.deleted == 1, 10, "the receipt")
        send(encode_refusal([("r-accepted-then-refused", "not_fhir")]))
        wait_for(lambda: stats.clinic_refused_unknown == 1, 10, "the late refusal")
        assert store.outbox_count() == 2 and refused_count(store) == 0
        # a refusal, then a receipt from another process: the refused row goes
        send(encode_refusal([("r-refused-then-accepted", "bad_field"), ("r-refused", "oversize")]))
        wait_for(lambda: stats.clinic_refused == 2, 10, "the refusals")
        assert {r.record_id: r.code for r in refused_rows(store)} == {
            "r-refused-then-accepted": "bad_field", "r-refused": "oversize"}
        send(encode_receipt(["r-refused-then-accepted"]))
        wait_for(lambda: refused_count(store) == 1, 10, "the receipt to delete it")
        assert store.outbox_count() == 0
        # a refusal naming no record of this device: counted, ignored
        send(encode_refusal([("never-sent", "not_fhir")]))
        wait_for(lambda: stats.clinic_refused_unknown == 2, 10, "the unknown refusal")
        # malformed refusals: refused by the inbound checks and counted, nothing changes
        hostile = [b'{"refused": []}', b'{"refused": [{"id": "r-refused"}]}',
                   b'{"refused": [{"id": "r-refused", "code": "NOT FHIR"}]}',
                   b'{"refused": [{"id": "r-refused", "code": "x"}], "also": 1}',
                   b'{"refused": "r-refused"}', b'{"refused": [["r-refused", "x"]]}',
                   json.dumps({"refused": [{"id": "r", "code": "x" * 33}]}).encode(),
                   json.dumps({"refused": [{"id": f"r{i}", "code": "x"}
                                           for i in range(101)]}).encode()]
        for payload in hostile:
            send(payload)
        wait_for(lambda: link.stats.rejected[Reject.BAD_FIELD] == len(hostile), 10,
                 "the malformed refusals")
        assert refused_count(store) == 1 and store.outbox_count() == 0
        assert stats.clinic_refused == 2 and link.connected.is_set()
        print(f"\nunlucky orders: refused {stats.clinic_refused}, unknown ignored "
              f"{stats.clinic_refused_unknown}, deleted {stats.deleted}, malformed refused "
              f"{link.stats.rejected[Reject.BAD_FIELD]}")
    finally:
        link.stop()  # writes the link's counters for rehab doctor
        store.close()
    assert main(["doctor", "--data-dir", str(tmp_path / "dev")]) == 0
    doctor = capsys.readouterr().out
    assert "warn  clinic link: inbound payloads refused 8 (bad_field 8); clinic refusals " \
           "naming no record 2, as of " in doctor
    assert "refused records: 1 record(s) the clinic refused (oversize 1)" in doctor


def test_a_store_that_cannot_write_is_never_a_refusal(broker: Broker, tmp_path: Path) -> None:
    """The clinic's database refuses writes: neither the bad record (no quarantine) nor the
    good one (no commit) is refused; both are resent and settle once the store is back."""
    store = TherapyStore(tmp_path / "dev" / "rehab.db")
    good = add_pain_records(store, "dev-1", 1)
    _bad(store)
    watcher = start_watcher(tmp_path / "clinic", broker.url)
    db = tmp_path / "clinic" / "clinic.db"
    faults = [InsertFault(db, t) for t in ("refused_records", "resources")]
    link = _link(tmp_path, broker.url, store)
    stats = link.drainer.stats
    try:
        # the bad one's refusals held back, and the good one's commits failing (each on its
        # own path: a group commit may linger up to 25 ms, so neither waits for the other)
        wait_for(lambda: watcher.refusals.not_kept >= 2 and stats.resent >= 2
                 and watcher.stats.rejected[Reject.HANDLER_ERROR] >= 2, 15,
                 "resends while the clinic's store is down")
        assert stats.clinic_refused == 0 and stats.receipts == 0
        assert store.outbox_count() == 2 and refused_count(store) == 0
        for fault in faults:
            fault.clear()
        assert link.wait_drained(15)
        wait_for(lambda: stats.clinic_refused == 1, 10, "the refusal once the store is back")
        assert watcher.store.identifiers() == good
        assert [r.record_id for r in refused_rows(store)] == ["bad-1"]
        assert [q.record_id for q in refused(watcher.store)] == ["bad-1"]
        print(f"\nstore down: {stats.resent} resends, {watcher.refusals.not_kept} refusals "
              f"held back; once back: 1 receipt, 1 refusal")
    finally:
        link.stop()
        watcher.stop()
        store.close()


@pytest.mark.parametrize(("items", "payload"), [
    ([("r-1", "not_fhir")], b'{"refused":[{"id":"r-1","code":"not_fhir"}]}'),
    ([("ack-9", "bad_field"), ("r-2", "oversize")],
     b'{"refused":[{"id":"ack-9","code":"bad_field"},{"id":"r-2","code":"oversize"}]}'),
])
def test_refusal_codec_bytes(items: list[tuple[str, str]], payload: bytes) -> None:
    from mqtt.delivery import AckMessage, Refusal, decode_ack

    assert encode_refusal(items) == payload
    assert decode_ack(payload) == AckMessage(refusals=tuple(Refusal(*i) for i in items))
    assert decode_ack(b'["r-1"]') == AckMessage(receipts=("r-1",))


@pytest.mark.parametrize("items", [[], [("r", "Not FHIR")], [("", "x")], [("r", "")],
                                   [("r", "x" * 33)], [(f"r{i}", "x") for i in range(101)]])
def test_refusal_encoder_refuses_what_the_device_would_refuse(
        items: list[tuple[str, str]]) -> None:
    from mqtt.delivery import ReceiptError

    with pytest.raises(ReceiptError):
        encode_refusal(items)
