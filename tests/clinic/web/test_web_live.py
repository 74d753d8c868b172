"""The live page's parts: the fan-out of live events (pure), ingest feeding it from a kiosk
over a real Mosquitto (``/api/live`` with the target band), and the server-sent event
stream read through uvicorn as a browser's EventSource would read it."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from tests.helpers.link_helpers import wait_for
from live_events import event, rep
from send_world import SendWorld, send_world_fixture  # noqa: F401  # the fixture

from clinic.live import REPS_KEPT, LiveFanout
from clinic.web.live_page import band, placement
from exercises.catalogue import CATALOGUE
from motion.types import QualityFlag
from therapy.ports import EventKind

pytestmark = pytest.mark.timeout(60)
KNEE = "knee_extension_seated"


def body(kind: EventKind, **kw: object) -> dict[str, object]:
    return event(kind, **kw).to_json()  # type: ignore[arg-type]


def test_the_fanout_keeps_running_sets_and_passes_events_on() -> None:
    live = LiveFanout()
    live.publish("dev-a", body(EventKind.SESSION_STARTED))
    live.publish("dev-a", body(EventKind.SET_STARTED))
    for n in range(1, REPS_KEPT + 3):
        live.publish("dev-a", body(EventKind.REP, r=rep(n, 60.0)))
    got: list[tuple[str, dict]] = []
    snapshot = live.subscribe(lambda d, b: got.append((d, b)))
    assert [(s["device"], s["set"], len(s["reps"]), s["reps"][-1]["n"]) for s in snapshot] \
        == [("dev-a", 1, REPS_KEPT, REPS_KEPT + 2)]
    live.publish("dev-b", body(EventKind.SESSION_STARTED, session="s-2"))
    live.publish("dev-a", body(EventKind.SET_STARTED, set_no=2))
    assert [(s["device"], s["set"], len(s["reps"])) for s in live.running()] == [
        ("dev-a", 2, 0), ("dev-b", 1, 0)]
    live.publish("dev-a", body(EventKind.SESSION_ENDED))
    assert [s["device"] for s in live.running()] == ["dev-b"]
    assert [d for d, _ in got] == ["dev-b", "dev-a", "dev-a"]

    def broken(_d: str, _b: dict) -> None:
        raise RuntimeError("event loop is closed")

    live.subscribe(broken)
    live.publish("dev-b", body(EventKind.PAUSED))  # the broken one goes, the watcher goes on
    assert live.dropped == 1 and live.subscribers == 1 and got[-1][1]["type"] == "paused"


def test_a_set_its_sensor_stopped_reads_so() -> None:
    """A set ended by its source (SET_ENDED with failed: a camera unplugged) is
    ``sensor_stopped`` in the running sets (the live card reads "sensor stopped"), a set
    that ended as sets do ``set_ended``; a hostile ``failed`` that is not true changes
    nothing."""
    live = LiveFanout()
    live.publish("dev-a", body(EventKind.SET_STARTED))
    live.publish("dev-a", {**body(EventKind.SET_ENDED), "failed": True})
    live.publish("dev-b", body(EventKind.SET_STARTED, session="s-2"))
    live.publish("dev-b", {**body(EventKind.SET_ENDED, session="s-2"), "failed": "yes"})
    assert [(s["device"], s["state"]) for s in live.running()] == [
        ("dev-a", "sensor_stopped"), ("dev-b", "set_ended")]
    live.publish("dev-a", body(EventKind.SET_STARTED, set_no=2))
    assert live.running()[0]["state"] == "running"


def test_band_is_the_kiosks() -> None:
    assert band(60.0) == (51.0, 74.0)  # 85 % .. 115 % + 5 deg, as kiosk/vm/live.py
    assert [placement(x, 51.0, 74.0) for x in (50.9, 51.0, 74.0, 74.1, "x", True)] == [
        "low", "in", "in", "high", "?", "?"]


def test_ingest_feeds_the_live_api_from_a_kiosk(send_world: SendWorld) -> None:
    w = send_world
    assert w.client.get("/api/live").json() == []
    w.link.live_listener(event(EventKind.SESSION_STARTED))
    w.link.live_listener(event(EventKind.SET_STARTED))
    w.link.live_listener(event(EventKind.REP, r=rep(1, 40.0, QualityFlag.INCOMPLETE_ROM)))
    w.link.live_listener(event(EventKind.REP, r=rep(2, 62.0)))
    sets = wait_for(lambda: [s for s in w.client.get("/api/live").json()
                             if len(s["reps"]) == 2], 10, "two reps on /api/live")
    s = sets[0]
    target = CATALOGUE[KNEE].target_rom_deg
    assert s["device"] == "dev-1" and s["exercise_name"] == CATALOGUE[KNEE].name
    assert s["target_rom_deg"] == target and s["band"] == list(band(target))
    assert [(r["n"], r["place"], r["flags"]) for r in s["reps"]] == [
        (1, placement(40.0, *band(target)), ["incomplete_rom"]),
        (2, placement(62.0, *band(target)), [])]
    assert "Live sets" in w.client.get("/live").text
    w.link.live_listener(event(EventKind.SESSION_ENDED))
    wait_for(lambda: w.client.get("/api/live").json() == [], 10, "the set to end")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(send_world: SendWorld) -> Iterator[tuple[SendWorld, str]]:
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(send_world.app, host="127.0.0.1", port=port,
                                        log_level="warning", timeout_graceful_shutdown=1))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    wait_for(lambda: srv.started, 10, "uvicorn")
    try:
        yield send_world, f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


def test_the_event_stream_gives_a_snapshot_then_each_rep(
        served: tuple[SendWorld, str]) -> None:
    w, base = served
    w.link.live_listener(event(EventKind.SESSION_STARTED))
    wait_for(lambda: w.watcher.live.running(), 10, "the running set")
    cookies = dict(w.client.cookies)
    events: list[tuple[str, dict | list]] = []
    with httpx.Client(base_url=base, cookies=cookies, timeout=10) as http, \
            http.stream("GET", "/live/events") as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        kind = ""
        for line in resp.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                events.append((kind, json.loads(line[6:])))
                if kind == "snapshot":  # subscribed: the kiosk counts two reps
                    target = CATALOGUE[KNEE].target_rom_deg
                    w.link.live_listener(event(EventKind.REP, r=rep(1, target)))
                    w.link.live_listener(event(EventKind.REP, r=rep(2, target / 2)))
                if len(events) == 3:
                    break
    assert events[0][0] == "snapshot" and [s["device"] for s in events[0][1]] == ["dev-1"]
    assert [(k, e["type"], e["rep"]["n"], e["rep"]["place"]) for k, e in events[1:]] == [
        ("live", "rep", 1, "in"), ("live", "rep", 2, "low")]
    time.sleep(0.2)  # the stream's end reaches the server: it unsubscribes
    wait_for(lambda: w.watcher.live.subscribers == 0, 5, "the stream to unsubscribe")
    r = httpx.get(base + "/live/events", follow_redirects=False)
    assert r.status_code == 303  # no login, no stream
