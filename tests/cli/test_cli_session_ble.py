"""``rehab session --source ble`` on the paired wearables, here virtual ones (bumble, through
bleak's GATT client): one walks away mid-set and comes back; the set pauses, resumes and
keeps the gap with the session."""

from __future__ import annotations

from pathlib import Path

import pytest
from session_checks import OFFLINE, stored, summary

from rehab.cli import main
from therapy.devices import WearableRegistry
from therapy.store import TherapyStore

SHANK, THIGH = "F1:00:00:00:00:01", "F1:00:00:00:00:02"


@pytest.mark.timeout(120)
def test_a_wearable_walks_away_and_back_the_set_pauses_resumes_and_keeps_the_gap(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pair", "--data-dir", str(tmp_path), "--virtual", "2", "--scan-s", "0.3",
                 "--assign", f"{SHANK}=shank", "--assign", f"{THIGH}=thigh"]) == 0
    capsys.readouterr()
    # time runs 2x (slow enough that a loaded machine does not fake a silent link); the
    # thigh wearable goes out of range 1 s after both stream, for 1.5 s
    assert main(["session", "--exercise", "knee_extension_seated", "--source", "ble",
                 "--virtual", "--two-imu", "--virtual-away", "thigh:1:1.5", "--realtime", "2",
                 "--reps", "2", "--max-s", "60", "--json", "--data-dir", str(tmp_path),
                 *OFFLINE]) == 0
    s = summary(capsys.readouterr().out)
    assert [p["where"] for p in s["placements"]] == ["shank", "thigh"]
    assert [p["sensor_id"] for p in s["placements"]] == [f"ble:{SHANK}", f"ble:{THIGH}"]
    assert (s["pauses"], s["resumes"]) == (1, 1)
    assert s["count"] == 2 and s["ended_by"] == "target reached" and s["completed"]
    [gap] = s["gaps"]
    assert gap["sensor_id"] == f"ble:{THIGH}" and gap["reason"] == "disconnected"
    store = TherapyStore(tmp_path / "rehab.db")
    [row] = WearableRegistry(store).gaps(s["session"])
    store.close()
    assert row[:3] == (1, f"ble:{THIGH}", "thigh") and row[5] == "disconnected"
    assert row[4] is not None and 1.0 < row[4] - row[3] < 6.0
    count, rows, outbox = stored(tmp_path, s["session"])
    assert (count, rows) == (2, 2) and outbox == [s["session"]]
