"""``rehab doctor`` and the interrupted sessions' drafts (issue 15, lose no data): drafts kept
aside because they cannot be read (quarantined) fail the check, listed by session id and
reason, exit 2; the running kiosk's own draft is no fault; a draft whose process is gone
waits for the next start (a warning, exit 0). Nothing is changed by the check."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tests.helpers.fake_motion import FakeAnalyzer, ListSource

from rehab.cli import main
from therapy.drafts import DraftJournal, process_token, recover_drafts
from therapy.plan import exercise_from_catalogue
from therapy.ports import FakeClock, FhirEncoder
from therapy.session import SessionController
from therapy.store import TherapyStore

GONE = "another-boot:1:1"  # the owner token of a process that is no more


def doctor(capsys: pytest.CaptureFixture[str], folder: Path) -> tuple[int, str]:
    """Exit code and the 'session drafts' line."""
    code = main(["doctor", "--data-dir", str(folder)])
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    [line] = [ln for ln in out.out.splitlines() if ln[6:].startswith("session drafts: ")]
    return code, line


async def journaled(store: TherapyStore, owner: str, reps: int = 2) -> str:
    """A session of ``reps`` reps journaled as process ``owner``; its id."""
    ex = exercise_from_catalogue("knee_extension_seated")
    ctl = SessionController(ex, sink=store, encoder=FhirEncoder("dev-1"), clock=FakeClock(),
                            analyzer_factory=lambda r, p: FakeAnalyzer(r, 60.0, 1.0, False),
                            journal=DraftJournal(store, owner))
    await ctl.run_set(ListSource([100] * reps))
    return ctl.session_id


def _drafts(db: Path) -> list[tuple[object, ...]]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute("SELECT * FROM session_drafts ORDER BY session_id").fetchall()
    finally:
        con.close()


async def test_the_running_kiosks_draft_is_no_fault(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path) -> None:
    store = TherapyStore(tmp_path / "rehab.db")
    code, line = doctor(capsys, tmp_path)
    assert code == 0 and line == "ok    session drafts: no interrupted session waits"
    await journaled(store, process_token())  # this process stands for the running kiosk
    code, line = doctor(capsys, tmp_path)
    assert code == 0 and line == ("ok    session drafts: no interrupted session waits; 1 of "
                                  "the running kiosk or session (not a fault)")
    await journaled(store, GONE)  # a kiosk killed mid-set, not started since
    code, line = doctor(capsys, tmp_path)
    assert code == 0 and line == (
        "warn  session drafts: 1 interrupted session(s) wait to be stored as not completed; "
        "1 of the running kiosk or session (not a fault): the kiosk's next start or rehab "
        "sync stores them")
    store.close()


async def test_quarantined_drafts_are_listed_with_their_reasons(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    store = TherapyStore(tmp_path / "rehab.db")
    bad = await journaled(store, GONE)
    store._db.execute("UPDATE session_drafts SET header = json_set(header, '$.exercise', "
                      "'moonwalk') WHERE session_id = ?", (bad,))
    orphan = "orphan-session"  # reps whose header row is missing
    store._db.execute("INSERT INTO draft_reps SELECT ?, set_no, n, rep, at FROM draft_reps "
                      "WHERE session_id = ?", (orphan, bad))
    await journaled(store, process_token())
    got = recover_drafts(store, FhirEncoder("dev-1"))
    assert sorted(sid for sid, _why in got.quarantined) == sorted([bad, orphan])
    store.close()
    before = _drafts(tmp_path / "rehab.db")
    code, line = doctor(capsys, tmp_path)
    assert code == 2
    first, second = sorted([(bad, "header: unknown exercise 'moonwalk'"),
                            (orphan, "reps without the session's start (header row missing)")])
    assert line == (f"FAIL  session drafts: 2 interrupted session(s) cannot be read and are "
                    f"kept aside (quarantined): {first[0]} ({first[1]}), {second[0]} "
                    f"({second[1]}); keep rehab.db as it is and call the clinic")
    assert _drafts(tmp_path / "rehab.db") == before  # the check changed nothing
