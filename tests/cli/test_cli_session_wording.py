"""``rehab session``'s last line counts what waits in words a patient's installer reads:
one record waits, two records wait (it said "1 records wait")."""

from __future__ import annotations

from pathlib import Path

import pytest
from session_checks import OFFLINE

from rehab.cli import main


def test_one_record_waiting_is_said_in_the_singular(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["session", "--sim", "heel_slide", "--reps", "1", "--data-dir", str(tmp_path),
                 *OFFLINE]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1].startswith("1 record waits in the outbox"), out
