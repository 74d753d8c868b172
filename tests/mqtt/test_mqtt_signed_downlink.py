"""Issue 12 #4 over a real Mosquitto with the project's own commands: patient A's signed
plan replayed onto device B is refused (and reported on B's status topic) without blocking
B's real plan; an unsigned therapist message is refused; signed ones arrive."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from tests.helpers.link_helpers import signed_link_dirs, start_watcher, wait_for
from tests.helpers.rehab_broker import Broker

from clinic.link import publish_once
from mqtt.config import load_config
from mqtt.device import DeviceLink
from rehab.cli import main
from therapy.signing import private_key_from_b64, seal
from therapy.store import TherapyStore

from tests.helpers.plan_samples import valid_plan  # noqa: E402

pytestmark = pytest.mark.timeout(90)


def test_replayed_plan_and_unsigned_message_refused_over_the_broker(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broker = Broker(tmp_path / "broker").start()
    clinic_dir, dev_dir = tmp_path / "clinic", tmp_path / "dev-b"
    signed_link_dirs(clinic_dir, dev_dir, broker.url, capsys, device="dev-b")
    events: list[dict] = []
    watcher = start_watcher(clinic_dir, broker.url,
                            on_event=lambda d, leaf, body: events.append(body)
                            if leaf == "status" and "event" in body else None)
    store = TherapyStore(dev_dir / "rehab.db")
    link = DeviceLink(load_config(dev_dir), store, reconnect_max_s=1)
    link.start()
    try:
        assert link.wait_connected(10)
        cfg = load_config(clinic_dir, require_device=False)
        key = private_key_from_b64((clinic_dir / "clinic_ed25519.key").read_text())
        # patient A's plan, exactly as `rehab clinic plan push --device dev-a` signs it
        a_plan = seal(json.dumps(valid_plan(version=7)), key, clinic="c1", device="dev-a",
                      issued_at=datetime.now(timezone.utc))
        publish_once(cfg.broker, "replayer", "rehab/v1/c1/dev-b/plan", a_plan, retain=True)
        wait_for(lambda: events, 10, "B's rejection on its status topic")
        assert events[0]["event"] == "plan_rejected" and events[0]["code"] == "wrong_device"
        assert store.current_plan() is None

        plan_b = tmp_path / "plan-b.json"
        plan_b.write_text(json.dumps(valid_plan(version=1)))
        assert main(["clinic", "plan", "push", "--device", "dev-b", str(plan_b),
                     "--data-dir", str(clinic_dir)]) == 0
        wait_for(store.current_plan, 10, "B's own plan")
        assert store.current_plan()[0].version == 1  # type: ignore[index]

        unsigned = {"type": "message", "id": "m-forged", "text": "Stop your exercises",
                    "at": datetime.now(timezone.utc).isoformat()}
        publish_once(cfg.broker, "forger", "rehab/v1/c1/dev-b/messages/in",
                     json.dumps(unsigned))
        wait_for(lambda: any(e["event"] == "message_rejected" for e in events), 10,
                 "the unsigned message refused")
        assert main(["clinic", "message", "--device", "dev-b", "Slow on the way down",
                     "--data-dir", str(clinic_dir)]) == 0
        start = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
        assert main(["clinic", "appoint", "--device", "dev-b", "--at", start, "--minutes",
                     "30", "--data-dir", str(clinic_dir)]) == 0
        wait_for(lambda: store.messages() and store.appointments(), 10, "signed ones")
        assert [m.text for m in store.messages()] == ["Slow on the way down"]
        assert [e.get("code") for e in events if "rejected" in e["event"]] == \
            ["wrong_device", "unsigned"]
        assert link.downlink.rejected == {"plan:wrong_device": 1, "message:unsigned": 1}
    finally:
        link.stop()
        watcher.stop()
        store.close()
        broker.stop()
