"""Issue 12 #5 and #10 at the command line: extreme dates given to the clinic tools and a
malformed ``clinic_public_key`` are one clear line on stderr and exit 2, no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.helpers.link_helpers import write_toml

from rehab.cli import main

from tests.helpers.plan_samples import valid_plan  # noqa: E402

EXTREMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
            "9999-12-31T23:59:59+00:00"]


def _one_line_error(capsys: pytest.CaptureFixture[str], *words: str) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for w in words:
        assert w in err, err
    return err


@pytest.mark.parametrize("when", EXTREMES)
@pytest.mark.parametrize("field", ["valid_from", "valid_until"])
def test_plan_push_refuses_extreme_dates(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         field: str, when: str) -> None:
    plan = valid_plan()
    plan[field] = when
    if field == "valid_from":
        plan["valid_until"] = "9999-12-31T23:59:59+00:00"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    assert main(["clinic", "plan", "push", "--device", "dev-1", str(path),
                 "--data-dir", str(tmp_path)]) == 2
    _one_line_error(capsys, "plan.json", field, "2000..2100")


@pytest.mark.parametrize("when", EXTREMES)
def test_appoint_refuses_extreme_dates(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       when: str) -> None:
    assert main(["clinic", "appoint", "--device", "dev-1", "--at", when, "--minutes", "30",
                 "--data-dir", str(tmp_path)]) == 2
    _one_line_error(capsys, "--at", "2000..2100")


def test_message_needs_the_signing_key(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Messages are signed now: without a key the tool says how to make one."""
    assert main(["clinic", "message", "--device", "dev-1", "hello",
                 "--data-dir", str(tmp_path)]) == 2
    _one_line_error(capsys, "clinic_ed25519.key", "rehab clinic keygen")
    (tmp_path / "clinic_ed25519.key").write_text("garbage\n")
    assert main(["clinic", "message", "--device", "dev-1", "hello",
                 "--data-dir", str(tmp_path)]) == 2
    _one_line_error(capsys, "not a clinic signing key")


@pytest.mark.parametrize("command", [["sync", "--timeout", "1"],
                                     ["session", "--sim", "heel_slide", "--reps", "2",
                                      "--send-timeout", "0"]])
def test_malformed_clinic_key_is_one_line_naming_the_setting(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    write_toml(tmp_path, broker="mqtt://127.0.0.1:9", device="dev-1", clinic="c1",
               clinic_public_key="c2VjcmV0LWJ1dC13cm9uZw==")
    assert main([*command, "--data-dir", str(tmp_path)]) == 2
    err = _one_line_error(capsys, "clinic_public_key", "rehab.toml", "rehab clinic keygen")
    assert "c2VjcmV0" not in err


def test_session_start_skips_poison_appointments(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Appointments an older version stored at 0001-01-01 / 9999-12-31 do not crash
    ``rehab session`` when it looks for a live appointment to join."""
    from datetime import datetime, timezone

    from therapy.records import Appointment
    from therapy.store import TherapyStore

    write_toml(tmp_path, broker="mqtt://127.0.0.1:9", device="dev-1", clinic="c1")
    store = TherapyStore(tmp_path / "rehab.db")
    for ident, year in (("a-first", 1), ("a-last", 9999)):
        store.save_appointment(Appointment(ident, datetime(year, 12 if year > 1 else 1,
                                                           31 if year > 1 else 1,
                                                           tzinfo=timezone.utc), 30))
    store.close()
    assert main(["session", "--sim", "heel_slide", "--reps", "2", "--send-timeout", "0",
                 "--data-dir", str(tmp_path)]) == 0
    assert "stored" in capsys.readouterr().out
