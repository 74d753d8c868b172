"""The kiosk when the store is full (real SQLITE_FULL from the store's size cap): the patient
reads "storage problem, call the clinic", and tapping Done again once space is back stores
the session and its pain-after report exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.helpers.kiosk_runs import start_one_set
from full_store import fill, free

from kiosk.adapters.sources import SimSourceFactory
from kiosk.errors import STORAGE_PROBLEM_TEXT, StorageProblem
from kiosk.model import KioskModel
from therapy.errors import StorageFull


@pytest.mark.timeout(60)
async def test_done_after_a_failed_save_stores_pain_after_once(tmp_path: Path) -> None:
    m = KioskModel(tmp_path / "data", sources=SimSourceFactory(speed=60.0))
    run = start_one_set(m, reps=2)
    await run.task
    run.pain_after.choose(2)
    fill(m)
    for _tap in range(2):  # Done, and Done again while the disk is still full
        with pytest.raises(StorageProblem) as err:
            m.finish_exercise()
        assert str(err.value) == STORAGE_PROBLEM_TEXT
        assert isinstance(err.value.cause, StorageFull)
        assert run.error == STORAGE_PROBLEM_TEXT
        assert run.pain_after.question == STORAGE_PROBLEM_TEXT  # the pain screen's headline
    assert m.store.session_ids() == []
    free(m)
    summary = m.finish_exercise()  # Done once more, with room
    assert summary.pain_after == 2 and run.error == "" and run.pain_after.problem == ""
    assert m.store.session_ids() == [run.ctl.session_id]
    # the session, one pain-before and ONE pain-after report, each with its outbox row
    assert len(m.store.record_ids()) == 3 and m.outbox_waiting() == 3
    m.close()


def test_flagged_pain_before_on_a_full_store_is_kept_once(tmp_path: Path) -> None:
    m = KioskModel(tmp_path / "data", sources=SimSourceFactory(speed=60.0))
    run = m.start_exercise(m.plan()[0].exercises[0])
    run.pain_before.choose(9)
    fill(m)
    assert not run.confirm_pain_before()  # no crash of the screen: the patient is told
    assert run.pain_before.question == STORAGE_PROBLEM_TEXT
    free(m)
    assert not run.confirm_pain_before()  # "Back to Today" confirms it again
    assert not run.confirm_pain_before()
    assert len(m.store.record_ids()) == 1 and m.outbox_waiting() == 1
    m.close()
