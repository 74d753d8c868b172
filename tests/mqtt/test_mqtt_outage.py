"""The broker stops in the middle of a session and comes back: nothing is lost.

One session streams in real time across the outage while further sessions are recorded
during it; afterwards every committed record is at the clinic exactly once (a resend
injected on purpose is dropped by identifier).

Issue 3 asks for a 30 s outage, and it is 30 s here. What its length costs the link is
reconnect rounds that fail: with the product's back-off (paho doubling from 1 s to
mqtt.client.RECONNECT_MAX_S, 10 s) 30 s is 5 failed rounds; both clients here back off at
most 1 s, and each is checked to have failed at least the product's 5 (paho's
on_connect_fail).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from tests.helpers.link_helpers import device_config, start_watcher, wait_for
from tests.helpers.rehab_broker import Broker

from mqtt.client import RECONNECT_MAX_S, RECONNECT_MIN_S
from mqtt.device import DeviceLink
from sensors.sim import SimConfig, SimSource, sim_sources, simulate
from therapy.plan import exercise_from_catalogue
from therapy.ports import FhirEncoder
from therapy.session import SessionController
from therapy.store import TherapyStore

ISSUE_OUTAGE_S = 30.0  # issue 3: "Broker stopped for 30 s in the middle of a session"
OUTAGE_S = ISSUE_OUTAGE_S
pytestmark = pytest.mark.timeout(150)


async def _quick_session(store: TherapyStore, link: DeviceLink, seed: int) -> str:
    ex = exercise_from_catalogue("elbow_flexion")
    ctl = SessionController(ex, sink=store, encoder=FhirEncoder("dev-1"))
    ctl.add_listener(link.live_listener)
    ctl.set_pain_before(seed % 11)
    distal, _ = sim_sources(SimConfig(exercise_id=ex.exercise_id, reps=2, seed=seed),
                            realtime=False, chunk_size=50)
    await ctl.run_set(distal)
    rec = ctl.finish(pain_after=1)
    link.notify_outbox()
    return rec.id


def failed_rounds(outage_s: float, min_s: float, max_s: float) -> int:
    """Reconnect attempts that fail during an outage of ``outage_s`` with paho's back-off
    (``reconnect_delay_set(min_s, max_s)``: the first wait ``min_s``, doubling, capped)."""
    t, delay, n = 0.0, min_s, 0
    while t + delay < outage_s:
        t, n = t + delay, n + 1
        delay = min(2 * delay, max_s)
    return n


def test_the_outage_costs_the_link_at_least_the_products_failed_reconnects() -> None:
    product = failed_rounds(ISSUE_OUTAGE_S, RECONNECT_MIN_S, RECONNECT_MAX_S)
    assert product == 5  # after 1, 3, 7, 15 and 25 s
    assert failed_rounds(OUTAGE_S, RECONNECT_MIN_S, 1) >= product + 3  # margin for load


async def test_broker_outage_of_30_s_mid_session_loses_nothing(tmp_path: Path) -> None:
    broker = Broker(tmp_path / "broker").start()
    watcher = start_watcher(tmp_path / "clinic", broker.url, reconnect_max_s=1)
    store = TherapyStore(tmp_path / "dev" / "rehab.db")
    link = DeviceLink(device_config(tmp_path / "dev", broker.url), store, reconnect_max_s=1)
    fails = {"device": 0, "clinic": 0}  # reconnect attempts refused while the broker is down
    link.client.on_connect_fail = lambda *_a: fails.__setitem__("device", fails["device"] + 1)
    watcher.client.on_connect_fail = lambda *_a: fails.__setitem__("clinic",
                                                                   fails["clinic"] + 1)
    link.start()
    try:
        assert link.wait_connected(10)
        await _quick_session(store, link, seed=1)
        assert await asyncio.to_thread(link.wait_drained, 10)

        # the long session: ~14 s of real-time streaming, the outage in its middle
        ex = exercise_from_catalogue("knee_extension_seated")
        res = simulate(SimConfig(reps=4, seed=5))
        length_s = float(res.distal.t_s[-1] - res.distal.t_s[0])
        src = SimSource(res.distal, res.info, chunk_size=10, realtime=True,
                        speed=length_s / (OUTAGE_S + 4.0))
        ctl = SessionController(ex, sink=store, encoder=FhirEncoder("dev-1"))
        live_sent: list[str] = []
        ctl.add_listener(link.live_listener)
        ctl.add_listener(lambda ev: live_sent.append(str(ev.kind)))
        ctl.set_pain_before(3)
        running = asyncio.create_task(ctl.run_set(src))
        await asyncio.sleep(1.0)
        broker.stop()
        t_down = time.monotonic()
        await asyncio.to_thread(wait_for, lambda: not link.connected.is_set(), 5, "disconnect")
        during = [await _quick_session(store, link, seed=10 + i) for i in range(5)]
        assert store.outbox_count() >= 15  # 5 sessions x (bundle + 2 pain), on disk
        await asyncio.sleep(max(0.0, OUTAGE_S - (time.monotonic() - t_down)))
        assert not running.done(), "the session should still be running across the outage"
        down = dict(fails)
        broker.start()
        reps = await running
        long_rec = ctl.finish(pain_after=2)
        link.notify_outbox()
        assert len(reps) == 4 and long_rec.rep_count == 4
        # the outage was long in the link's terms: each client failed at least the rounds
        # the product's back-off fails in the issue's 30 s
        product = failed_rounds(ISSUE_OUTAGE_S, RECONNECT_MIN_S, RECONNECT_MAX_S)
        assert min(down.values()) >= product, down

        # a resend of an already delivered record (as after a lost PUBACK) is dropped
        first = store.outbox_batch(0, 1)
        assert await asyncio.to_thread(link.wait_drained, 20)
        expected = {f"urn:uuid:{i}" for i in store.record_ids()}
        assert len(expected) == 3 * 7
        await asyncio.to_thread(wait_for, lambda: watcher.store.identifiers() >= expected, 20,
                                "every record at the clinic")
        assert first
        link.enqueue([first[0]])
        assert await asyncio.to_thread(link.wait_drained, 10)
        await asyncio.to_thread(wait_for, lambda: watcher.view("dev-1").duplicates >= 1,
                                10, "the duplicate to arrive")
        assert watcher.store.identifiers() == expected
        assert len(watcher.store.sessions("dev-1")) == 7
        assert set(during) <= {i.removeprefix("urn:uuid:") for i in expected}
        assert store.outbox_count() == 0 and store.integrity_check() == "ok"
    finally:
        link.stop()
        watcher.stop()
        broker.stop()
