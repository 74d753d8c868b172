"""``rehab sync`` sends an interrupted session too (issue 15, lose no data): a kiosk killed
mid-set and never started again leaves only its journal; a maintainer's ``rehab sync``
stores it as not completed first (as the kiosk's start would) and drains it with the rest,
through a real Mosquitto to the clinic's ingest. A draft whose process still runs (the
running kiosk's own) is left alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.helpers.fake_motion import FakeAnalyzer, ListSource
from tests.helpers.link_helpers import start_watcher
from tests.helpers.rehab_broker import Broker
from tests.helpers.db_read import read_db

from rehab.cli import main
from therapy.drafts import DraftJournal, process_token
from therapy.plan import exercise_from_catalogue
from therapy.ports import FakeClock, FhirEncoder
from therapy.records import PainPhase
from therapy.session import SessionController
from therapy.store import TherapyStore

pytestmark = pytest.mark.timeout(60)
GONE = "another-boot:1:1"  # the owner token of a process that is no more


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    b = Broker(tmp_path / "broker").start()
    yield b
    b.stop()


async def journaled(store: TherapyStore, owner: str, reps: int) -> SessionController:
    """A set of ``reps`` reps with a pain before, journaled as process ``owner``, not
    stored (the process died, or still runs)."""
    ex = exercise_from_catalogue("knee_extension_seated")
    ctl = SessionController(ex, sink=store, encoder=FhirEncoder("dev-1"), clock=FakeClock(),
                            analyzer_factory=lambda r, p: FakeAnalyzer(r, 60.0, 1.0, False),
                            journal=DraftJournal(store, owner))
    ctl.set_pain_before(4)
    await ctl.run_set(ListSource([100] * reps))
    return ctl


async def test_sync_stores_and_sends_a_session_whose_process_is_gone(
        broker: Broker, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dev = tmp_path / "dev"
    db = dev / "rehab.db"
    store = TherapyStore(db)
    killed = await journaled(store, GONE, reps=3)
    running = await journaled(store, process_token(), reps=2)  # this process: still running
    store.close()
    assert read_db(db, "SELECT COUNT(*) FROM outbox") == [(0,)]  # only the journal holds them
    watcher = start_watcher(tmp_path / "clinic", broker.url)
    try:
        assert main(["sync", "--timeout", "15", "--device", "dev-1", "--clinic", "c1",
                     "--broker", broker.url, "--data-dir", str(dev)]) == 0
        out = capsys.readouterr().out.splitlines()
        assert out[0] == (f"interrupted session {killed.session_id}: knee_extension_seated "
                          "3 reps kept as not completed")
        assert out[1].startswith("sent 2 records; 0 wait for the clinic's receipt")
        pain = killed._pains[0]
        assert pain.phase == PainPhase.BEFORE
        assert watcher.store.identifiers() == {f"urn:uuid:{killed.session_id}",
                                               f"urn:uuid:{pain.id}"}
        [row] = watcher.store.sessions("dev-1")
        assert (row.identifier, row.reps, row.completed) == (
            f"urn:uuid:{killed.session_id}", 3, False)
    finally:
        watcher.stop()
    assert read_db(db, "SELECT id, completed, rep_count FROM sessions") == [
        (killed.session_id, 0, 3)]
    # the running process's draft is untouched, and nothing of it was sent
    assert read_db(db, "SELECT session_id FROM session_drafts") == [(running.session_id,)]
    assert read_db(db, "SELECT COUNT(*) FROM draft_reps") == [(2,)]
    assert read_db(db, "SELECT COUNT(*) FROM outbox") == [(0,)]
