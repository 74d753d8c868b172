"""End-to-end delivery through a real Mosquitto (issue 12, findings 1 and 6): a record leaves
the device's outbox only when the clinic has committed it, whatever happened between.

- the clinic subscribes for the first time after the session was sent (finding 1, exactly
  as reproduced: `rehab session` with no clinic, then the clinic, then `rehab sync`);
- the clinic is away longer than its session expiry;
- the broker is restarted (SIGTERM, persistence on) or killed (SIGKILL) mid-drain;
- two ingest processes of one clinic share the records instead of both taking all;
- the kiosk is offline while three messages and a plan are sent (finding 6).
Each test prints its figures (pytest -s shows them).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.helpers.delivery_helpers import add_pain_records, figures, puback_reason
from tests.helpers.link_helpers import device_config, signed_link_dirs, start_watcher, wait_for
from tests.helpers.rehab_broker import Broker

from mqtt.config import load_config
from mqtt.delivery import ResendPolicy
from mqtt.device import DeviceLink
from rehab.cli import main
from therapy.records import Direction
from therapy.store import TherapyStore

from tests.helpers.plan_samples import valid_plan  # noqa: E402

pytestmark = pytest.mark.timeout(90)
QUICK = ResendPolicy(first_s=0.3, factor=2.0, max_s=1.0, unrouted_first_s=0.3)


def _link(tmp_path: Path, broker: Broker, store: TherapyStore) -> DeviceLink:
    """The device ``dev-1``'s link (folder tmp_path/dev) with the quick resend policy."""
    return DeviceLink(device_config(tmp_path / "dev", broker.url), store, resend=QUICK,
                      reconnect_max_s=1)


def _started_link(tmp_path: Path, broker: Broker, store: TherapyStore) -> DeviceLink:
    link = _link(tmp_path, broker, store)
    link.start()
    return link


def test_clinic_subscribing_after_the_session_still_receives_it(
        broker: Broker, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--device", "dev-1", "--clinic", "c1", "--broker", broker.url, "--data-dir",
              str(tmp_path / "dev")]
    # the broker is up, no clinic has ever subscribed: PUBACK 16, the broker drops them
    assert main(["session", "--sim", "elbow_flexion", "--reps", "2", "--pain-before", "3",
                 "--pain-after", "1", "--send-timeout", "1", *common]) == 0
    assert "3 records wait in the outbox" in capsys.readouterr().out
    watcher = start_watcher(tmp_path / "clinic", broker.url)  # the clinic's first watch
    try:
        assert main(["sync", "--timeout", "15", *common]) == 0
        out = capsys.readouterr().out
        assert "sent 3 records; 0 wait for the clinic's receipt" in out
        store = TherapyStore(tmp_path / "dev" / "rehab.db")
        expected = {f"urn:uuid:{i}" for i in store.record_ids()}
        assert store.outbox_count() == 0
        store.close()
        assert watcher.store.identifiers() == expected and len(expected) == 3
        assert sorted(r for _s, _p, r, _t in watcher.store.pain("dev-1")) == [1, 3]
        print(f"\nfirst subscription after the session: 3 records sent, "
              f"{len(watcher.store.identifiers())} arrived; sync said: {out.strip()}")
    finally:
        watcher.stop()


def test_clinic_away_longer_than_its_session_expiry(broker: Broker, tmp_path: Path) -> None:
    clinic_dir = tmp_path / "clinic"
    watcher = start_watcher(clinic_dir, broker.url, session_expiry_s=1)
    watcher.stop()  # away; its session (and what the broker queued for it) expires after 1 s
    wait_for(lambda: puback_reason(broker.port, "rehab/v1/c1/probe/records") == 16, 10,
             "the clinic's session to expire")
    store = TherapyStore(tmp_path / "dev" / "rehab.db")
    expected = add_pain_records(store, "dev-1", 20)
    link = _started_link(tmp_path, broker, store)
    try:
        wait_for(lambda: link.drainer.stats.unrouted >= 20, 10, "20 PUBACKs 'no subscribers'")
        assert store.outbox_count() == 20  # the broker dropped them: nothing deleted
        watcher = start_watcher(clinic_dir, broker.url, session_expiry_s=1)
        assert link.wait_drained(15)
        wait_for(lambda: watcher.store.identifiers() == expected, 10, "all 20 at the clinic")
        assert link.drainer.stats.resent >= 20 and store.outbox_count() == 0
        print("\n" + figures("clinic session expired", link.drainer.stats,
                             len(watcher.store.identifiers()), watcher))
    finally:
        link.stop()
        watcher.stop()


@pytest.mark.parametrize("how", ["terminate", "kill"])
def test_broker_restart_mid_drain_loses_nothing(how: str, tmp_path: Path) -> None:
    broker = Broker(tmp_path / "broker").start()
    watcher = start_watcher(tmp_path / "clinic", broker.url, reconnect_max_s=1)
    store = TherapyStore(tmp_path / "dev" / "rehab.db")
    expected = add_pain_records(store, "dev-1", 600)
    link = _link(tmp_path, broker, store)
    try:
        link.start()
        wait_for(lambda: watcher.receipts >= 60, 20, "the drain to be under way")
        assert store.outbox_count() > 0, "the drain finished before the broker went"
        if how == "kill":
            broker.proc.kill()  # type: ignore[union-attr]  # no goodbye, no persistence save
            broker.proc.wait()  # type: ignore[union-attr]
        else:
            broker.stop()  # SIGTERM: mosquitto saves its persistence file
        broker.start()
        assert link.wait_drained(40), f"{store.outbox_count()} rows left"
        wait_for(lambda: watcher.store.identifiers() == expected, 20, "all 600 at the clinic")
        assert store.outbox_count() == 0 and store.integrity_check() == "ok"
        print("\n" + figures(f"broker {how} mid-drain", link.drainer.stats,
                             len(watcher.store.identifiers()), watcher))
    finally:
        link.stop()
        watcher.stop()
        broker.stop()


def test_two_ingest_processes_share_the_records(broker: Broker, tmp_path: Path) -> None:
    clinic_dir = tmp_path / "clinic"  # one clinic.db, two processes writing it
    a = start_watcher(clinic_dir, broker.url, name="ingest-a")
    b = start_watcher(clinic_dir, broker.url, name="ingest-b")
    store = TherapyStore(tmp_path / "dev" / "rehab.db")
    expected = add_pain_records(store, "dev-1", 60)
    link = _started_link(tmp_path, broker, store)
    try:
        assert link.wait_drained(15)
        assert a.store.identifiers() == expected
        # a shared subscription: each record went to one of them, not to both
        assert a.received + b.received == 60 and a.received > 0 and b.received > 0
        b.stop()  # one ingest process goes away; its share waits in its session ...
        more = add_pain_records(store, "dev-1", 20)
        link.notify_outbox()
        assert link.wait_drained(15)  # ... and the device's resends reach the other one
        wait_for(lambda: a.store.identifiers() == expected | more, 10, "all 80")
        print("\n" + figures(f"two ingest processes ({a.received} + {b.received} taken)",
                             link.drainer.stats, len(a.store.identifiers()), a, b))
    finally:
        link.stop()
        a.stop()


def test_kiosk_offline_gets_three_messages_and_a_plan_exactly_once(
        broker: Broker, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clinic_dir, dev_dir = tmp_path / "clinic", tmp_path / "dev"
    signed_link_dirs(clinic_dir, dev_dir, broker.url, capsys)
    store = TherapyStore(dev_dir / "rehab.db")

    def run_link() -> DeviceLink:
        link = DeviceLink(load_config(dev_dir), store, reconnect_max_s=1)
        link.start()
        assert link.wait_connected(10)
        return link

    run_link().stop()  # the kiosk was online once, then went off
    texts = [f"message {i}: keep going" for i in range(3)]
    for text in texts:
        assert main(["clinic", "message", "--device", "dev-1", text, "--data-dir",
                     str(clinic_dir)]) == 0
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(valid_plan(version=2)))
    assert main(["clinic", "plan", "push", "--device", "dev-1", str(plan), "--data-dir",
                 str(clinic_dir)]) == 0
    assert store.messages() == [] and store.current_plan() is None
    link = run_link()  # back online: what was sent meanwhile arrives
    try:
        wait_for(lambda: len(store.messages()) == 3 and store.current_plan(), 10,
                 "3 messages and the plan")
    finally:
        link.stop()
    link = run_link()  # and once only: a further restart brings no copies
    try:
        wait_for(lambda: link.stats.accepted.get("plan", 0) >= 1, 10, "the retained plan")
    finally:
        link.stop()
    got = store.messages()
    assert sorted(m.text for m in got) == texts
    assert all(m.direction == Direction.TO_PATIENT for m in got)
    assert store.current_plan()[0].version == 2  # type: ignore[index]
    print(f"\nkiosk offline: 3 messages and plan v2 sent, {len(got)} messages and plan "
          f"v{store.current_plan()[0].version} stored once")  # type: ignore[index]


def test_hostile_receipts_are_refused_and_delete_nothing(broker: Broker, tmp_path: Path) -> None:
    from clinic.link import publish_once

    store = TherapyStore(tmp_path / "dev" / "rehab.db")
    expected = add_pain_records(store, "dev-1", 3)
    link = _started_link(tmp_path, broker, store)
    hostile = {b"": "not_json", b"{}": "bad_field", b"[]": "bad_field", b"[1, 2]": "bad_field",
               b"\xff\xfe": "not_json", b"[" * 60_000: "oversize",
               b"[" * 5000 + b"]" * 5000: "not_json", b'["' + b"x" * 81 + b'"]': "bad_field",
               ("[" + ",".join(['"a"'] * 101) + "]").encode(): "bad_field"}
    try:
        assert link.wait_connected(10)
        wait_for(lambda: link.drainer.stats.unrouted == 3, 10, "3 sends nobody took")
        cfg = load_config(tmp_path / "tool", broker=broker.url, require_device=False)
        for payload in hostile:
            publish_once(cfg.broker, "evil", "rehab/v1/c1/dev-1/ack", payload)
        publish_once(cfg.broker, "evil", "rehab/v1/c1/dev-1/ack", b'["not-a-row"]')
        wait_for(lambda: link.stats.rejected_total == len(hostile), 10, "the refusals")
        assert {str(k): v for k, v in link.stats.rejected.items()} == {
            "not_json": 3, "bad_field": 5, "oversize": 1}
        assert store.outbox_count() == 3 and link.connected.is_set()  # nothing deleted
        watcher = start_watcher(tmp_path / "clinic", broker.url)  # then a real clinic
        try:
            assert link.wait_drained(15)
            assert watcher.store.identifiers() == expected
        finally:
            watcher.stop()
        print(f"\nhostile receipts: refused {link.stats.as_dict()['rejected']}, then 3 "
              f"records confirmed by the clinic")
    finally:
        link.stop()
