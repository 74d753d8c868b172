"""Pairing: scan, RSSI and battery, body placement, remembered in the store; ``rehab pair``."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.helpers.ble_world import World

from protocol.clock import ScaledClock
from rehab.cli import main
from sensors.ble.pairing import discover, remember
from sensors.ble.ports import WearableKind
from sensors.set_supervision import SetGap
from sensors.ble.virtual import BumbleScanner
from sensors.sim import SimConfig, simulate
from sensors.types import BodySegment
from therapy.devices import WearableRegistry
from therapy.store import TherapyStore


async def test_discover_lists_both_kinds_with_battery_and_remembers_placements(
        tmp_path: Path) -> None:
    motion = simulate(SimConfig(reps=1, drop_prob=0.0)).distal
    world = World(ScaledClock())
    ours = await world.rehab_imu(1, motion, battery_pct=12)
    wit = await world.witmotion(2, motion, battery_cv=412)
    found = await discover(BumbleScanner(world.air), 0.3, world.connector())
    await ours.close()
    await wit.close()
    by_kind = {f.kind: f for f in found}
    assert by_kind[WearableKind.REHAB_IMU].battery_pct == 12
    assert by_kind[WearableKind.WITMOTION].battery_pct == 90  # 4.12 V
    registry = WearableRegistry(TherapyStore(tmp_path / "rehab.db"))
    remember(registry, by_kind[WearableKind.REHAB_IMU], BodySegment.THIGH)
    remember(registry, by_kind[WearableKind.WITMOTION], BodySegment.SHANK)
    rows = {r[3]: r for r in registry.all()}
    assert rows["thigh"][:4] == (ours.address, ours.name, "rehab_imu", "thigh")
    assert rows["shank"][2] == "witmotion" and rows["shank"][5] == 90
    # one wearable per placement: a new thigh sensor replaces the old one
    remember(registry, by_kind[WearableKind.WITMOTION], BodySegment.THIGH)
    assert [(r[0], r[3]) for r in registry.all()] == [(wit.address, "thigh")]


def test_gaps_are_kept_with_the_set(tmp_path: Path) -> None:
    registry = WearableRegistry(TherapyStore(tmp_path / "rehab.db"))
    registry.save_gaps("s1", 2, [SetGap("ble:F1", "thigh", 10.0, 12.5, "disconnected"),
                                 SetGap("ble:F2", "shank", 20.0, None, "not found")])
    assert registry.gaps("s1") == [(2, "ble:F1", "thigh", 10.0, 12.5, "disconnected"),
                                   (2, "ble:F2", "shank", 20.0, None, "not found")]
    assert registry.gaps("other") == []


@pytest.mark.timeout(60)
def test_rehab_pair_virtual_assign_list_forget(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    base = ["pair", "--data-dir", str(tmp_path), "--virtual", "3", "--scan-s", "0.3"]
    assert main(base + ["--assign", "f1:00:00:00:00:01=thigh",
                        "--assign", "F1:00:00:00:00:02=SHANK"]) == 0
    out = capsys.readouterr().out
    assert "RSSI" in out and "90 %" in out and "10 %  LOW: charge it" in out
    assert "paired rehab-imu-0001 (F1:00:00:00:00:01) on the thigh" in out
    assert main(["pair", "--data-dir", str(tmp_path), "--list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == ["shank", "thigh"]
    assert main(["pair", "--data-dir", str(tmp_path), "--forget", "F1:00:00:00:00:02"]) == 0
    capsys.readouterr()
    main(["pair", "--data-dir", str(tmp_path), "--list"])
    assert capsys.readouterr().out.split()[0] == "thigh"


@pytest.mark.timeout(60)
def test_rehab_pair_asks_for_placements(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    answers = iter(["shank", ""])
    monkeypatch.setattr("builtins.input", lambda _prompt: next(answers))
    assert main(["pair", "--data-dir", str(tmp_path), "--virtual", "2", "--scan-s", "0.3",
                 "--no-battery"]) == 0
    assert "paired rehab-imu-0001 (F1:00:00:00:00:01) on the shank" in capsys.readouterr().out
    rows = WearableRegistry(TherapyStore(tmp_path / "rehab.db")).all()
    assert [(r[0], r[3], r[5]) for r in rows] == [("F1:00:00:00:00:01", "shank", None)]


def test_rehab_pair_rejects_an_unknown_placement(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pair", "--data-dir", str(tmp_path), "--assign", "AA=elbowish"]) == 2
    assert "unknown body placement 'elbowish'" in capsys.readouterr().err


def test_rehab_pair_without_a_terminal_and_forgetting_a_stranger_are_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A script (stdin not a terminal, nothing to read) got a traceback (EOFError) from the
    placement question; forgetting an address never paired said "forgot" and exit 0."""
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["pair", "--data-dir", str(tmp_path), "--virtual", "1"]) == 2
    err = capsys.readouterr().err
    assert "--assign ADDRESS=SEGMENT" in err and "Traceback" not in err
    assert err.count("\n") == 1
    assert main(["pair", "--data-dir", str(tmp_path), "--forget", "F1:00:00:00:00:09"]) == 2
    assert "not paired here" in capsys.readouterr().err
    assert main(["pair", "--data-dir", str(tmp_path), "--virtual", "1", "--assign",
                 "F1:00:00:00:00:01=thigh"]) == 0
    assert "rehab session --source ble --virtual" in capsys.readouterr().out
