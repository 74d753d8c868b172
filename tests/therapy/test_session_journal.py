"""The running session's journal (issue 15, lose no data) on the real SQLite store: what the
controller writes as it happens, what a finish leaves (nothing), and what start-up recovery
makes of a draft a dead process left: a session not completed with exactly its reps, its
pain before and outbox rows, once; unreadable drafts kept aside; a failing store storing
nothing and the next try storing it once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.helpers.db_read import read_db
from tests.helpers.fake_motion import FakeAnalyzer, ListSource

from therapy.drafts import (DraftJournal, owner_alive, process_token, quarantined_drafts,
                            recover_drafts)
from therapy.errors import StorageError
from therapy.plan import exercise_from_catalogue
from therapy.ports import EventKind, FakeClock, FhirEncoder, SessionEvent
from therapy.records import PainPhase
from therapy.session import SessionController
from therapy.store import TherapyStore

GONE = "another-boot:1:1"  # the owner token of a process that is no more


def make(tmp_path: Path, owner: str = GONE) -> tuple[SessionController, TherapyStore]:
    store = TherapyStore(tmp_path / "rehab.db")
    ex = exercise_from_catalogue("knee_extension_seated")
    ctl = SessionController(ex, sink=store, encoder=FhirEncoder("dev-1"), clock=FakeClock(),
                            analyzer_factory=lambda r, p: FakeAnalyzer(r, p.target_rom_deg,
                                                                       p.target_hold_s, False),
                            plan_version=3, journal=DraftJournal(store, owner))
    return ctl, store


def rows(store: TherapyStore, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Read from the database file afresh (another connection), as a next start would."""
    return read_db(store.path, sql, *params)


def draft_reps(store: TherapyStore) -> list[tuple[int, int, float]]:
    return [(s, n, json.loads(body)["rom_deg"]) for s, n, body in rows(
        store, "SELECT set_no, n, rep FROM draft_reps ORDER BY set_no, n")]


async def test_each_rep_is_on_disk_before_the_screen_hears_of_it(tmp_path: Path) -> None:
    ctl, store = make(tmp_path)
    seen: list[tuple[int, list[tuple[int, int, float]]]] = []

    def on_rep(ev: SessionEvent) -> None:
        if ev.kind == EventKind.REP:
            assert ev.rep is not None
            seen.append((ev.rep.n, draft_reps(store)))

    ctl.add_listener(on_rep)
    ctl.set_pain_before(4, "stiff")
    [(header, sets, sources, pain)] = rows(
        store, "SELECT header, sets_done, sources, pain_before FROM session_drafts")
    assert sets == 0 and json.loads(pain)["rating"] == 4
    await ctl.run_set(ListSource([150, 150]))  # 3 reps
    assert [(n, [r[:2] for r in on_disk]) for n, on_disk in seen] == [
        (1, [(1, 1)]), (2, [(1, 1), (1, 2)]), (3, [(1, 1), (1, 2), (1, 3)])]
    [(header, sets, sources, pain)] = rows(
        store, "SELECT header, sets_done, sources, pain_before FROM session_drafts")
    h = json.loads(header)
    assert (h["exercise"], h["plan_version"], h["sets"], sets) == (
        "knee_extension_seated", 3, ctl.exercise.sets, 1)
    assert json.loads(sources) == [["fake"]]
    assert draft_reps(store) == [(r.set_no, r.n, r.rom_deg) for r in ctl.reps_]

    rec = ctl.finish(pain_after=2)  # the session, and no draft, in one transaction
    assert rec.rep_count == 3
    assert rows(store, "SELECT COUNT(*) FROM session_drafts") == [(0,)]
    assert rows(store, "SELECT COUNT(*) FROM draft_reps") == [(0,)]
    assert rows(store, "SELECT id FROM sessions") == [(rec.id,)]
    store.close()


async def test_a_draft_left_behind_is_stored_once_as_not_completed(tmp_path: Path) -> None:
    ctl, store = make(tmp_path)
    ctl.set_pain_before(5)
    ctl.clock.advance(30)  # type: ignore[attr-defined]
    await ctl.run_set(ListSource([100, 100]))
    ctl.clock.advance(30)  # type: ignore[attr-defined]
    await ctl.run_set(ListSource([100]))
    kept = [(r.set_no, r.n, r.rom_deg) for r in ctl.reps_]
    # the process dies here: nothing stored but the journal
    assert rows(store, "SELECT COUNT(*) FROM sessions") == [(0,)]

    got = recover_drafts(store, FhirEncoder("dev-1"))
    [rec] = got.stored
    assert (rec.id, rec.completed, rec.sets_done, rec.plan_version) == (
        ctl.session_id, False, 2, 3)
    assert [(r.set_no, r.n, r.rom_deg) for r in rec.reps] == kept == [
        (1, 1, ctl.reps_[0].rom_deg), (1, 2, ctl.reps_[1].rom_deg), (2, 1, ctl.reps_[2].rom_deg)]
    assert rec.started_at == ctl._started_at and rec.ended_at == ctl.clock.now()
    before = rec.pain(PainPhase.BEFORE)
    assert before is not None and before.rating == 5 and rec.pain(PainPhase.AFTER) is None
    assert rows(store, "SELECT id, completed, rep_count, sets_done FROM sessions") == [
        (ctl.session_id, 0, 3, 2)]
    assert rows(store, "SELECT session_id, set_no, n, rom_deg FROM reps ORDER BY set_no, n") \
        == [(ctl.session_id, *k) for k in kept]
    outbox = rows(store, "SELECT record_id, payload FROM outbox ORDER BY id")
    assert [r[0] for r in outbox] == [ctl.session_id, before.id]
    assert json.loads(outbox[0][1])["resourceType"] == "Bundle"
    assert rows(store, "SELECT COUNT(*) FROM session_drafts") == [(0,)]
    assert rows(store, "SELECT COUNT(*) FROM draft_reps") == [(0,)]

    again = recover_drafts(store, FhirEncoder("dev-1"))  # the next start: nothing more
    assert (again.stored, again.quarantined, again.failed) == ([], [], [])
    assert rows(store, "SELECT COUNT(*) FROM sessions") == [(1,)]
    assert len(rows(store, "SELECT id FROM outbox")) == 2
    store.close()


async def test_a_failing_store_during_recovery_stores_nothing_then_once(
        tmp_path: Path) -> None:
    """The draft's removal fails inside the recovery's transaction (a temporary trigger on
    this connection calls a function that fails): the session rows written before it in
    that transaction are rolled back, the draft stays; the next try stores it once."""
    ctl, store = make(tmp_path)
    await ctl.run_set(ListSource([200]))

    def disk_went_away() -> int:
        raise OSError("disk went away")

    store._db.create_function("disk_went_away", 0, disk_went_away)
    store._db.execute("CREATE TEMP TRIGGER no_drop BEFORE DELETE ON session_drafts "
                      "BEGIN SELECT disk_went_away(); END")
    got = recover_drafts(store, FhirEncoder("dev-1"))
    assert got.stored == [] and [sid for sid, _why in got.failed] == [ctl.session_id]
    assert rows(store, "SELECT COUNT(*) FROM sessions") == [(0,)]
    assert rows(store, "SELECT COUNT(*) FROM reps") == [(0,)]
    assert rows(store, "SELECT COUNT(*) FROM outbox") == [(0,)]
    assert len(draft_reps(store)) == 2
    store._db.execute("DROP TRIGGER no_drop")
    [rec] = recover_drafts(store, FhirEncoder("dev-1")).stored
    assert rec.rep_count == 2
    assert rows(store, "SELECT COUNT(*) FROM sessions") == [(1,)]
    assert rows(store, "SELECT record_id FROM outbox") == [(rec.id,)]
    store.close()


async def test_a_draft_the_store_refuses_is_kept_aside(tmp_path: Path) -> None:
    ctl, store = make(tmp_path)
    await ctl.run_set(ListSource([100]))
    store._db.execute("CREATE TEMP TRIGGER refuse BEFORE INSERT ON sessions "
                      "BEGIN SELECT RAISE(ABORT, 'constraint failed'); END")
    got = recover_drafts(store, FhirEncoder("dev-1"))
    assert got.stored == [] and got.quarantined == [
        (ctl.session_id, "the store refused it: constraint failed")]
    assert len(draft_reps(store)) == 1
    store.close()


async def test_a_running_processes_draft_is_left_alone(tmp_path: Path) -> None:
    ctl, store = make(tmp_path, owner=process_token())
    await ctl.run_set(ListSource([100]))
    got = recover_drafts(store, FhirEncoder("dev-1"))  # e.g. rehab session beside the kiosk
    assert (got.stored, got.live) == ([], 1)
    assert len(draft_reps(store)) == 1
    store.close()


async def test_a_draft_with_nothing_done_is_removed(tmp_path: Path) -> None:
    """A set begun, no rep, no pain before: a stop stores nothing, so neither does this."""
    ctl, store = make(tmp_path)
    await ctl.run_set(ListSource([50]))
    got = recover_drafts(store, FhirEncoder("dev-1"))
    assert (got.stored, got.dropped) == ([], [ctl.session_id])
    assert rows(store, "SELECT COUNT(*) FROM session_drafts") == [(0,)]
    assert rows(store, "SELECT COUNT(*) FROM sessions") == [(0,)]
    store.close()


BAD = [
    ("UPDATE draft_reps SET rep = substr(rep, 1, 20) WHERE n = 2", "rep 1.2: not readable JSON"),
    ("UPDATE session_drafts SET header = json_set(header, '$.exercise', 'moonwalk')",
     "header: unknown exercise 'moonwalk'"),
    ("UPDATE draft_reps SET rep = json_set(rep, '$.rom_deg', 'wide')",
     "rep 1.1: rom_deg must be a finite number, got 'wide'"),
    ("UPDATE session_drafts SET pain_before = '{\"id\": \"p\", \"rating\": 11}'",
     "pain before: rating must be 0..10, got 11"),
    ("DELETE FROM session_drafts", "reps without the session's start (header row missing)"),
]


@pytest.mark.parametrize(("damage", "why"), BAD, ids=[w.split(":")[0] for _d, w in BAD])
async def test_a_bad_draft_is_kept_aside_and_counted(tmp_path: Path, damage: str, why: str,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    ctl, store = make(tmp_path)
    ctl.set_pain_before(2)
    await ctl.run_set(ListSource([200]))
    store._db.execute(damage)
    before = rows(store, "SELECT * FROM draft_reps ORDER BY n")
    got = recover_drafts(store, FhirEncoder("dev-1"))  # never raises for a draft
    assert got.stored == [] and len(got.quarantined) == 1
    [(sid, reason)] = got.quarantined
    assert sid == ctl.session_id and reason.startswith(why)
    assert quarantined_drafts(store) == [(ctl.session_id, reason)]
    assert any(why in r.getMessage() and "kept aside" in r.getMessage()
               for r in caplog.records)
    assert rows(store, "SELECT * FROM draft_reps ORDER BY n") == before  # nothing lost
    assert rows(store, "SELECT COUNT(*) FROM sessions") == [(0,)]
    again = recover_drafts(store, FhirEncoder("dev-1"))  # not tried (or logged) again
    assert (again.stored, again.quarantined) == ([], [])
    store.close()


async def test_a_failing_journal_write_does_not_end_the_session(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    ctl, store = make(tmp_path)
    store._db.execute("CREATE TEMP TRIGGER no_reps BEFORE INSERT ON draft_reps "
                      "BEGIN SELECT RAISE(ABORT, 'card full'); END")
    await ctl.run_set(ListSource([300]))
    assert len(ctl.reps_) == 3 and ctl.journal_failures_ == 3
    assert sum("journal write failed" in r.getMessage() for r in caplog.records) == 3
    rec = ctl.finish()  # the record is still stored whole
    assert rows(store, "SELECT rep_count FROM sessions WHERE id = ?", rec.id) == [(3,)]
    store.close()


async def test_a_rep_measured_again_replaces_its_journal_row(tmp_path: Path) -> None:
    """A camera + wearable set stores a rep again with its fused ROM: one row, the last."""
    from dataclasses import replace

    ctl, store = make(tmp_path)
    await ctl.run_set(ListSource([100]))
    [rep] = ctl.reps_
    journal = ctl.journal
    assert journal is not None
    journal.rep(ctl.session_id, replace(rep, rom_deg=61.5, source="camera"), ctl.clock.now())
    [rec] = recover_drafts(store, FhirEncoder("dev-1")).stored
    assert [(r.n, r.rom_deg, r.source) for r in rec.reps] == [(1, 61.5, "camera")]
    store.close()


def test_owner_tokens_name_running_processes_only() -> None:
    assert owner_alive(process_token())
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        token = process_token(child.pid)
        assert owner_alive(token)
    finally:
        child.kill()
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # dead, not reaped: a zombie
    assert not owner_alive(token)
    child.wait()
    assert not owner_alive(token)
    boot, pid, start = process_token().split(":")
    assert not owner_alive(f"{boot}:{pid}:{int(start) + 1}")  # the pid reused
    assert not owner_alive(f"another-boot:{pid}:{start}")  # before the power cut
    assert not owner_alive("") and not owner_alive("garbage")


async def test_storage_error_from_the_journal_names_the_file(tmp_path: Path) -> None:
    ctl, store = make(tmp_path)
    store._db.execute("CREATE TEMP TRIGGER no_pain BEFORE UPDATE ON session_drafts "
                      "BEGIN SELECT RAISE(ABORT, 'read-only card'); END")
    journal = ctl.journal
    assert isinstance(journal, DraftJournal)
    with pytest.raises(StorageError, match=f"session journal in {store.path}: read-only card"):
        journal.pain_before(ctl.session_id, ctl._header(), _pain(ctl))
    store.close()


def _pain(ctl: SessionController) -> Any:
    from therapy.records import PainReport

    return PainReport("p1", 3, PainPhase.BEFORE, ctl.clock.now(), ctl.session_id)


async def test_a_set_during_a_video_visit_is_recovered_marked_supervised(
        tmp_path: Path) -> None:
    from therapy.supervised import SupervisedEncoder, Supervision, is_supervised

    store = TherapyStore(tmp_path / "rehab.db")
    sup = Supervision("call-1", "appt-1")
    ctl = SessionController(exercise_from_catalogue("heel_slide"), sink=store,
                            encoder=SupervisedEncoder(FhirEncoder("dev-1"), sup),
                            clock=FakeClock(), appointment_id="appt-1",
                            analyzer_factory=lambda r, p: FakeAnalyzer(r, 50.0, 1.0, False),
                            journal=DraftJournal(store, GONE))
    await ctl.run_set(ListSource([100]))
    [rec] = recover_drafts(store, FhirEncoder("dev-1")).stored
    assert rec.appointment_id == "appt-1"
    [(payload,)] = rows(store, "SELECT payload FROM outbox")
    assert is_supervised(json.loads(payload))
    store.close()
