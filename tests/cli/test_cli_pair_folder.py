"""``rehab pair`` without ``--data-dir`` remembers the wearables where ``rehab kiosk`` and
``rehab session`` look for them (``mqtt.config.default_data_dir``: the per-user data dir,
``REHAB_DATA_DIR`` or systemd's ``STATE_DIRECTORY``). It used to write ``/var/lib/rehab``
whatever the others used, so on a laptop what was paired was never picked."""

from __future__ import annotations

from pathlib import Path

import pytest

from rehab.cli import main
from therapy.devices import WearableRegistry
from therapy.store import TherapyStore


@pytest.mark.timeout(60)
def test_pair_without_a_folder_pairs_for_the_kiosk_and_session(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "xdg"
    monkeypatch.delenv("REHAB_DATA_DIR", raising=False)
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    assert main(["pair", "--virtual", "1", "--scan-s", "0.3",
                 "--assign", "F1:00:00:00:00:01=shank"]) == 0
    assert "paired" in capsys.readouterr().out
    rows = WearableRegistry(TherapyStore(home / "rehab" / "rehab.db")).all()
    assert [(r[0], r[3]) for r in rows] == [("F1:00:00:00:00:01", "shank")]
    # what rehab session --source ble picks from: the same registry, without --data-dir
    assert main(["session", "--exercise", "elbow_flexion", "--source", "ble",
                 "--device", "d1", "--clinic", "c1"]) == 2
    err = capsys.readouterr().err
    assert "needs a wearable on the forearm" in err and "shank" in err
    assert main(["pair", "--list"]) == 0
    assert "F1:00:00:00:00:01" in capsys.readouterr().out
