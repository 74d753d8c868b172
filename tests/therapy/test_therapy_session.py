"""The session controller: events, pause/stop, the record and its outbox rows."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from tests.helpers.fake_motion import FakeAnalyzer, ListSource

from motion.params import SetParams
from therapy.plan import exercise_from_catalogue
from therapy.ports import EventKind, FakeClock, FhirEncoder, SessionEvent
from therapy.records import PainPhase
from therapy.session import SessionController, SessionState
from therapy.store import Channel, TherapyStore


def make(tmp_path: Path, **kw: object) -> tuple[SessionController, TherapyStore, list]:
    store = TherapyStore(tmp_path / "rehab.db")
    ex = exercise_from_catalogue("knee_extension_seated")
    ctl = SessionController(ex, sink=store, encoder=FhirEncoder("dev-1"), clock=FakeClock(),
                            analyzer_factory=lambda r, p: FakeAnalyzer(r, p.target_rom_deg,
                                                                       p.target_hold_s, p.two_imu),
                            **kw)  # type: ignore[arg-type]
    events: list[SessionEvent] = []
    ctl.add_listener(events.append)
    return ctl, store, events


async def test_two_sets_make_one_record_with_outbox_rows(tmp_path: Path) -> None:
    ctl, store, events = make(tmp_path, plan_version=4)
    ctl.set_pain_before(4, "stiff")
    reps1 = await ctl.run_set(ListSource([7, 13, 50, 130, 100]))   # 300 samples -> 3 reps
    ctl.clock.advance(60)  # type: ignore[attr-defined]
    reps2 = await ctl.run_set(ListSource([250]))
    rec = ctl.finish(pain_after=2, note="better")
    assert (len(reps1), len(reps2)) == (3, 2)
    assert [(r.set_no, r.n) for r in rec.reps] == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2)]
    assert rec.reps[3].t_end_s == pytest.approx(60 + 0.99, abs=0.02)  # set 2 starts at +60 s
    assert rec.rep_count == 5 and rec.sets_done == 2 and not rec.completed
    assert rec.pain(PainPhase.BEFORE).rating == 4  # type: ignore[union-attr]
    assert rec.pain(PainPhase.AFTER).note == "better"  # type: ignore[union-attr]
    assert ctl.state == SessionState.FINISHED
    kinds = [e.kind for e in events]
    assert kinds[0] == EventKind.SESSION_STARTED and kinds[-1] == EventKind.SESSION_ENDED
    assert kinds.count(EventKind.REP) == 5 and kinds.count(EventKind.SET_ENDED) == 2
    live = [e.to_json() for e in events if e.kind == EventKind.REP]
    assert live[0]["rep"] == {"n": 1, "rom_deg": 69.0, "hold_s": 0.4, "flags": []}
    rows = store.outbox_batch(0, 10)
    assert [r.channel for r in rows] == [Channel.RECORDS] * 3
    assert [json.loads(r.payload)["resourceType"] for r in rows] == [
        "Bundle", "Observation", "Observation"]
    assert store.record_ids() == {rec.id} | {p.id for p in rec.pains}
    assert ctl.finish() is rec  # idempotent


class FailingSource(ListSource):
    """Yields its chunks, then fails as an unplugged camera or a port gone does."""

    async def _gen(self):  # type: ignore[no-untyped-def]
        async for c in super()._gen():
            yield c
        raise OSError(19, "No such device")


async def test_a_source_that_fails_mid_set_ends_the_set_with_its_reps(tmp_path: Path) -> None:
    """The error goes on to the caller, but the set has ended (SET_ENDED, failed): the
    session can run its next set or finish, keeping the reps confirmed before it."""
    ctl, store, events = make(tmp_path)
    src = FailingSource([150, 100])  # 250 samples: 2 reps, then the failure
    with pytest.raises(OSError, match="No such device"):
        await ctl.run_set(src)
    assert src.closed and ctl.state == SessionState.BETWEEN_SETS
    ended = [e for e in events if e.kind == EventKind.SET_ENDED]
    assert [(e.set_no, e.extra) for e in ended] == [(1, {"reps": 2, "failed": True})]
    assert ended[0].to_json()["failed"] is True  # the clinic's live view sees why
    reps2 = await ctl.run_set(ListSource([100]))
    rec = ctl.finish()
    assert len(reps2) == 1 and rec.sets_done == 2
    assert [(r.set_no, r.n) for r in rec.reps] == [(1, 1), (1, 2), (2, 1)]


async def test_pause_drops_samples_and_stop_ends_the_set(tmp_path: Path) -> None:
    ctl, store, events = make(tmp_path)
    src = ListSource([50] * 40, pause_s=0.005)  # 2000 samples would make 20 reps

    def control(ev: SessionEvent) -> None:
        if ev.kind == EventKind.REP and ev.rep and ev.rep.n == 1:
            ctl.pause()

    ctl.add_listener(control)
    task = asyncio.create_task(ctl.run_set(src))
    while ctl.state != SessionState.PAUSED:
        await asyncio.sleep(0.001)
    await asyncio.sleep(0.05)  # ~10 chunks arrive while paused and are dropped
    ctl.resume()
    while len(ctl.reps_) < 2:
        await asyncio.sleep(0.001)
    ctl.stop()
    reps = await task
    kinds = [e.kind for e in events]
    assert kinds.index(EventKind.PAUSED) < kinds.index(EventKind.RESUMED)
    assert 2 <= len(reps) < 10
    assert src.closed
    rec = ctl.finish()
    assert not rec.completed and rec.rep_count == len(reps)
    assert store.session_ids() == [rec.id]


async def test_two_sources_are_paired_sample_for_sample(tmp_path: Path) -> None:
    made: list[FakeAnalyzer] = []

    def factory(r: float, p: SetParams) -> FakeAnalyzer:
        made.append(FakeAnalyzer(r, p.target_rom_deg, p.target_hold_s, p.two_imu))
        return made[-1]

    store = TherapyStore(tmp_path / "rehab.db")
    ctl = SessionController(exercise_from_catalogue("elbow_flexion"), sink=store,
                            encoder=FhirEncoder("dev-1"), analyzer_factory=factory)
    reps = await ctl.run_set(ListSource([10, 30, 5, 155]), ListSource([25, 25, 100, 50]))
    assert made[0].two and sum(a for a, _ in made[0].pairs) == 200
    assert len(reps) == 2


async def test_a_failing_listener_does_not_stop_the_session(tmp_path: Path) -> None:
    ctl, _store, events = make(tmp_path)

    def broken(_ev: SessionEvent) -> None:
        raise RuntimeError("ui gone")

    ctl.add_listener(broken)
    assert len(await ctl.run_set(ListSource([200]))) == 2
    assert ctl.finish().rep_count == 2


@pytest.mark.parametrize("two", [False, True])
async def test_real_simulator_through_real_set_analyzer(tmp_path: Path, two: bool) -> None:
    from sensors.sim import SimConfig, sim_sources
    from therapy.ports import set_analyzer_factory

    store = TherapyStore(tmp_path / "rehab.db")
    ex = exercise_from_catalogue("knee_extension_seated")
    ctl = SessionController(ex, sink=store, encoder=FhirEncoder("dev-1"),
                            analyzer_factory=set_analyzer_factory)
    distal, proximal = sim_sources(SimConfig(reps=6, seed=3, two_segment=two), realtime=False,
                                   chunk_size=25)
    assert (proximal is not None) == two
    reps = await ctl.run_set(distal, proximal)
    rec = ctl.finish(pain_after=1)
    assert 5 <= len(reps) <= 7 and rec.rep_count == len(reps)  # accuracy: tests/motion
    assert rec.mean_rom_deg == pytest.approx(ex.target_rom_deg, abs=10)
