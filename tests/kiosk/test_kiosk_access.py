"""Kiosk access (issue 12, finding 7), without Kivy: no default PIN, a damaged kiosk.json
closes the kiosk instead of falling back to a known PIN, Settings need the installer code,
the lockout escalates and survives a restart, the PIN can be chosen and changed, and
``rehab kiosk pin|code set`` read the secret from stdin only. Real SQLite, real Argon2."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fake_navigator import Monotonic
from flow_helpers import CODE, PIN

from kiosk.access import AccessState
from kiosk.adapters.sources import SimSourceFactory
from kiosk.model import KioskModel
from kiosk.settings import KioskSettings, check_secret, load_settings, save_settings
from kiosk.vm.lock import FIRST_LOCKOUT_S, MAX_LOCKOUT_S, NO_CODE, Purpose, lockout_s
from kiosk.vm.pin_change import PinStep
from rehab.cli import main
from therapy.audit import Actor, AuditKind
from therapy.ports import FakeClock


def _model(data: Path, clock: FakeClock | None = None,
           mono: Monotonic | None = None) -> KioskModel:
    return KioskModel(data, sources=SimSourceFactory(), clock=clock or FakeClock(),
                      monotonic=mono or Monotonic())


def _try(m: KioskModel, digits: str, purpose: Purpose = Purpose.UNLOCK) -> bool:
    m.lock.begin(purpose)
    for d in digits:
        m.lock.press(d, m.monotonic())
    return m.lock.submit(m.monotonic())


def _kinds(m: KioskModel) -> list[str]:
    return [str(a.kind) for a in m.store.audit_records()]


def _provisioned(data: Path) -> None:
    data.mkdir(parents=True, exist_ok=True)
    save_settings(data, KioskSettings().with_pin(PIN).with_code(CODE))


def test_a_new_kiosk_has_no_pin_until_the_patient_chooses_one(tmp_path: Path) -> None:
    m = _model(tmp_path / "data")
    assert m.access.state == AccessState.CHOOSE_PIN and KioskSettings().pin_hash == ""
    assert not _try(m, "1234") and m.lock.locked  # the old default opens nothing
    flow = m.access.pin_flow()
    assert flow.first_run and flow.step == PinStep.NEW
    for entry, step in (("1111", PinStep.NEW), ("1234", PinStep.NEW), (PIN, PinStep.AGAIN),
                        ("2581", PinStep.NEW), (PIN, PinStep.AGAIN)):
        flow.entry = entry
        assert flow.submit(0.0) is None and flow.step == step, entry
    flow.entry = PIN
    assert flow.submit(0.0) == PIN
    m.access.save_pin(PIN, first_run=True)
    assert m.access.state == AccessState.READY and _try(m, PIN)
    assert check_secret(PIN, load_settings(tmp_path / "data").pin_hash)
    assert load_settings(tmp_path / "data").pin_hash.startswith("$argon2id$")
    assert _kinds(m) == ["pin_set", "unlocked"]
    m.close()


def test_the_old_shipped_default_hash_counts_as_no_pin(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    old = f"{b'rehabpin'.hex()}:" + hashlib.pbkdf2_hmac(
        "sha256", b"1234", b"rehabpin", 50_000).hex()
    (data / "kiosk.json").write_text(json.dumps({"pin_hash": old}))
    m = _model(data)
    assert m.access.state == AccessState.CHOOSE_PIN and not _try(m, "1234")
    m.close()


@pytest.mark.parametrize("text", [
    "{ damaged", "[]", json.dumps({"pin_hash": 5}), json.dumps({"lock_after_s": -1}),
    json.dumps({"lock_after_s": 1e308}), json.dumps({"text_scale": 9}),
    json.dumps({"reminder_times": ["25:99"]}), "\udcff".encode("utf-8", "surrogatepass")])
def test_a_damaged_kiosk_json_closes_the_kiosk(tmp_path: Path, text: str | bytes,
                                                caplog: pytest.LogCaptureFixture,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    _provisioned(data)
    path = data / "kiosk.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    m = _model(data)
    assert m.access.state == AccessState.CLOSED
    assert "kiosk.json is damaged" in m.access.problem
    assert "rehab kiosk pin set" in m.access.problem
    assert "kiosk.json is damaged" in caplog.text  # in the journal too
    for pin in ("1234", PIN):  # neither the old default nor the last PIN opens it
        assert not _try(m, pin) and m.lock.locked
    assert _kinds(m)[0] == "settings_damaged"
    # the installer's way back: a new PIN from a terminal, then "Try again" on the screen
    monkeypatch.setattr("sys.stdin", io.StringIO("3691\n"))
    assert main(["kiosk", "pin", "set", "--data-dir", str(data)]) == 0
    assert len(list(data.glob("kiosk.json.damaged-*"))) == 1
    assert m.access.reload() == AccessState.READY and _try(m, "3691")
    m.close()


def test_a_pin_removed_after_it_was_set_closes_the_kiosk(tmp_path: Path) -> None:
    data = tmp_path / "data"
    m = _model(data)
    m.access.save_pin(PIN, first_run=True)
    m.close()
    (data / "kiosk.json").unlink()  # "first run" again would let anyone choose a PIN
    m = _model(data)
    assert m.access.state == AccessState.CLOSED and "has no PIN" in m.access.problem
    m.close()


def test_settings_need_the_installer_code_not_the_pin(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    save_settings(data, KioskSettings().with_pin(PIN))
    m = _model(data)
    m.lock.begin(Purpose.SETTINGS)
    assert m.lock.message(m.monotonic()) == NO_CODE  # no code provisioned: closed
    assert not _try(m, PIN, Purpose.SETTINGS)
    assert m.lock.message(m.monotonic()) == NO_CODE and _kinds(m) == []  # not a failure
    m.close()
    _provisioned(data)
    m = _model(data)
    assert not _try(m, PIN, Purpose.SETTINGS)  # the patient's PIN does not open Settings
    assert _try(m, CODE, Purpose.SETTINGS)
    assert not _try(m, CODE)  # nor the code the kiosk
    assert _kinds(m) == ["code_failed", "code_accepted", "pin_failed"]
    m.close()


@pytest.mark.parametrize("failures,seconds", [
    (1, 0.0), (4, 0.0), (5, FIRST_LOCKOUT_S), (6, 0.0), (10, 2 * FIRST_LOCKOUT_S),
    (15, 4 * FIRST_LOCKOUT_S), (40, min(128 * FIRST_LOCKOUT_S, MAX_LOCKOUT_S)),
    (10_000, MAX_LOCKOUT_S)])
def test_lockout_policy_doubles_to_a_cap(failures: int, seconds: float) -> None:
    assert lockout_s(failures) == seconds


def test_lockout_escalates_and_survives_restarts(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _provisioned(data)
    clock = FakeClock(datetime(2026, 11, 29, 9, 0, tzinfo=timezone.utc))
    m = _model(data, clock)
    for _ in range(5):
        assert not _try(m, "9999")
    assert m.lock.wait_s(m.monotonic()) == FIRST_LOCKOUT_S
    assert not _try(m, PIN)  # even the right PIN waits
    m.close()
    clock.advance(10)
    m = _model(data, clock, Monotonic())  # restarted: a new monotonic clock
    assert m.lock.wait_s(m.monotonic()) == pytest.approx(FIRST_LOCKOUT_S - 10)
    assert "Too many tries: wait 20 s" == m.lock.message(m.monotonic())
    assert not _try(m, PIN)
    m.monotonic.t += 21  # type: ignore[attr-defined]
    clock.advance(21)
    for _ in range(5):
        assert not _try(m, "9999")
    assert m.lock.wait_s(m.monotonic()) == 2 * FIRST_LOCKOUT_S  # doubled
    m.close()
    m = _model(data, clock, Monotonic())
    assert m.lock.wait_s(m.monotonic()) == 2 * FIRST_LOCKOUT_S
    m.monotonic.t += 61  # type: ignore[attr-defined]
    assert _try(m, PIN)  # the right PIN ends the run of failures
    m.close()
    m = _model(data, clock, Monotonic())
    assert m.lock.gates[Purpose.UNLOCK].failures == 0 and m.lock.wait_s(m.monotonic()) == 0
    assert _kinds(m).count("locked_out") == 2
    m.close()


def test_the_patient_changes_the_pin_with_the_old_one(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _provisioned(data)
    m = _model(data)
    flow = m.access.pin_flow()
    assert not flow.first_run and flow.step == PinStep.OLD
    flow.entry = "9999"
    assert flow.submit(m.monotonic()) is None and flow.step == PinStep.OLD
    assert m.lock.gates[Purpose.UNLOCK].failures == 1  # a wrong old PIN counts
    flow.entry = PIN
    flow.submit(m.monotonic())
    for entry in ("3691", "3691"):
        flow.entry = entry
        new = flow.submit(m.monotonic())
    assert new == "3691"
    m.access.save_pin(new, first_run=False)
    assert not _try(m, PIN) and _try(m, "3691")
    assert _kinds(m) == ["pin_failed", "pin_changed", "pin_failed", "unlocked"]
    m.close()


def test_settings_changes_and_pairing_are_audited_without_secrets(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _provisioned(data)
    m = _model(data)
    m.update_settings(dataclasses.replace(m.settings, lock_after_s=60.0).with_code("975310"))
    m.wearables_changed()
    changed, paired = m.store.audit_records()
    assert changed.kind == AuditKind.SETTINGS_CHANGED and changed.actor == Actor.INSTALLER
    assert json.loads(changed.detail) == {"code_hash": "(changed)", "lock_after_s": 60.0}
    assert paired.kind == AuditKind.PAIRING_CHANGED
    outbox = b" ".join(r.payload for r in m.store.outbox_batch())
    assert b"argon2" not in outbox and b"975310" not in outbox
    m.close()


def test_pin_and_code_set_from_a_terminal_read_stdin_never_argv(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    with pytest.raises(SystemExit) as exc:  # a secret on the command line is refused
        main(["kiosk", "pin", "set", "2580", "--data-dir", str(data)])
    assert exc.value.code == 2 and "unrecognized arguments" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("12\n"))
    assert main(["kiosk", "pin", "set", "--data-dir", str(data)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "4 to 8 digits" in err and "nothing changed" in err
    assert not (data / "kiosk.json").exists()
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{PIN}\n"))
    assert main(["kiosk", "pin", "set", "--data-dir", str(data)]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{CODE}\n"))
    assert main(["kiosk", "code", "set", "--data-dir", str(data)]) == 0
    s = load_settings(data)
    assert check_secret(PIN, s.pin_hash) and check_secret(CODE, s.code_hash)
    m = _model(data)
    assert m.access.state == AccessState.READY
    assert [(str(a.kind), str(a.actor)) for a in m.store.audit_records()] == [
        ("pin_set", "terminal"), ("code_set", "terminal")]
    m.close()


def test_the_installer_sets_a_forgotten_pin_and_ends_the_lockout(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _provisioned(data)
    m = _model(data)
    for _ in range(5):
        assert not _try(m, "9999")
    assert m.lock.wait_s(m.monotonic()) > 0
    flow = m.access.pin_flow(reset=True)  # from Settings, behind the installer code
    assert flow.step == PinStep.NEW and "patient's new PIN" in flow.prompt(m.monotonic())
    for entry in ("3691", "3691"):
        flow.entry = entry
        new = flow.submit(m.monotonic())
    m.access.save_pin(new, first_run=False, reset=True)
    assert m.lock.wait_s(m.monotonic()) == 0 and _try(m, "3691")
    m.close()
    m = _model(data)  # and after a restart the old failures no longer count
    assert m.lock.gates[Purpose.UNLOCK].failures == 0
    assert [(str(a.kind), str(a.actor)) for a in m.store.audit_records()][-2:] == [
        ("pin_set", "installer"), ("unlocked", "patient")]
    m.close()
