"""Wearable battery, end to end over a real Mosquitto (issue 14): the kiosk's link event
with a battery level goes through its clinic adapter and DeviceLink to the status leaf;
the clinic's ingest stores it (the newest reading per wearable, every status event kept)
and the caseload and patient pages show the low-battery alert and the device's last seen
time; a charged wearable clears it; a level out of range is refused and counted."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from send_world import SendWorld, send_world_fixture  # noqa: F401  # the fixture
from sqlalchemy import select
from tests.helpers.link_helpers import wait_for, write_toml

from clinic.status_schema import device_events
from clinic.store import ClinicStore
from kiosk.adapters.clinic import LinkClinic
from kiosk.run import ExerciseRun
from mqtt.config import load_config
from mqtt.device import DeviceLink
from mqtt.inbound import Reject
from mqtt.topics import Leaf, Topics
from sensors.link_events import LinkEvent, LinkEventKind

pytestmark = pytest.mark.timeout(60)


def _kiosk_link_event(clinic: LinkClinic, segment: str, pct: int) -> list[tuple[str, str]]:
    """The kiosk's own hook (ExerciseRun.on_link_event) on a battery-low LinkEvent, with
    the live screen's view-model replaced by a recorder."""
    shown: list[tuple[str, str]] = []
    run = SimpleNamespace(clinic=clinic, live=SimpleNamespace(
        on_link=lambda seg, kind, _pct: shown.append((seg, kind))))
    ExerciseRun.on_link_event(run, LinkEvent("imu-1", segment, LinkEventKind.BATTERY_LOW,  # type: ignore[arg-type]
                                             1.0, battery_pct=pct))
    return shown


def test_a_low_wearable_battery_alerts_on_the_caseload(send_world: SendWorld,
                                                       tmp_path: Path) -> None:
    w = send_world
    write_toml(tmp_path / "k", broker=w.broker.url, device="dev-1", clinic="c1")
    w.link.stop()  # the kiosk's own adapter starts the device's link
    clinic = LinkClinic(DeviceLink(load_config(tmp_path / "k"), w.device))
    try:
        assert clinic.link.wait_connected(10)
        assert _kiosk_link_event(clinic, "thigh", 12) == [("thigh", "battery_low")]
        got = wait_for(lambda: w.watcher.store.batteries().get("dev-1"), 10, "the level")
    finally:
        clinic.close()
    assert {k: v[0] for k, v in got.items()} == {"thigh": 12}

    page = w.client.get("/").text
    assert '<span class="alert battery"' in page and "thigh battery 12 %" in page
    assert "thigh sensor 12 %" in page and "Last seen" in page
    api = w.client.get("/api/caseload").json()
    row = next(r for r in api if r["device"] == "dev-1")
    assert [a["kind"] for a in row["alerts"]] == ["battery"]
    assert row["batteries"][0]["segment"] == "thigh" and row["batteries"][0]["battery_pct"] == 12
    assert row["last_contact"] is not None
    assert "thigh sensor battery 12 %" in w.client.get("/patients/dev-1").text
    with w.watcher.store.engine.connect() as conn:
        events = conn.execute(select(device_events.c.event, device_events.c.body)).all()
    assert [e for e, _b in events] == ["battery"]
    assert json.loads(events[0][1])["battery_pct"] == 12

    # charged: the newest reading (a wearable above the threshold) clears the alert
    w.link = DeviceLink(load_config(tmp_path / "k"), w.device)
    w.link.start()
    assert w.link.wait_connected(10)
    w.link.report_battery("thigh", 85)
    wait_for(lambda: w.watcher.store.batteries()["dev-1"]["thigh"][0] == 85, 10, "85 %")
    row = next(r for r in w.client.get("/api/caseload").json() if r["device"] == "dev-1")
    assert row["alerts"] == [] and "thigh battery" not in w.client.get("/").text


def test_a_level_out_of_range_is_refused_and_counted(send_world: SendWorld) -> None:
    w = send_world
    topic = Topics("c1", "dev-1").topic(Leaf.STATUS)
    for bad in ({"event": "battery", "segment": "thigh", "battery_pct": 150},
                {"event": "battery", "battery_pct": 10},
                {"event": "battery", "segment": "thigh", "battery_pct": "low"}):
        w.link.client.publish(topic, json.dumps({"state": "online", **bad}), qos=1)
    wait_for(lambda: w.watcher.stats.rejected[Reject.BAD_FIELD] >= 3, 10, "three refusals")
    assert w.watcher.store.batteries() == {}
    assert "battery" not in w.client.get("/").text


def test_the_newest_reading_wins_whatever_order_they_arrive(tmp_path: Path) -> None:
    store = ClinicStore(tmp_path / "clinic.db")
    now = datetime.now(timezone.utc)
    try:
        store.add_status_event("d", {"event": "battery", "segment": "shank", "battery_pct": 9,
                                     "at": now.isoformat()})
        store.add_status_event("d", {"event": "battery", "segment": "shank", "battery_pct": 70,
                                     "at": (now - timedelta(hours=1)).isoformat()})
        store.add_status_event("d", {"event": "plan_applied", "at": "not a time"})
        assert store.batteries() == {"d": {"shank": (9, now.isoformat())}}
        assert store.devices() == {"d": "online"}  # a status event: the device is online
    finally:
        store.close()


def test_a_level_seen_offline_is_sent_on_the_next_connect(send_world: SendWorld,
                                                          tmp_path: Path) -> None:
    w = send_world
    write_toml(tmp_path / "k", broker=w.broker.url, device="dev-1", clinic="c1")
    w.link.stop()
    w.link = DeviceLink(load_config(tmp_path / "k"), w.device)  # not connected yet
    w.link.report_battery("shank", 7)
    w.link.report_battery("shank", 6)  # the newest level per wearable waits
    w.link.start()
    got = wait_for(lambda: w.watcher.store.batteries().get("dev-1"), 10, "the level")
    assert got["shank"][0] == 6
    with w.watcher.store.engine.connect() as conn:
        assert conn.execute(select(device_events.c.event)).all() == [("battery",)]
