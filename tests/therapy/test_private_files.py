"""Data files 0600 in a 0700 folder whatever the umask (issue 12, finding 8): rehab.db and
its -wal/-shm, kiosk.json, the clinic's key and clinic.db, made by the real code paths
(TherapyStore, the kiosk's settings, ``rehab kiosk pin set``, ``rehab clinic keygen``)."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from kiosk.settings import KioskSettings, save_settings
from clinic.store import ClinicStore
from rehab.cli import main
from therapy.audit import AuditKind, record_audit
from therapy.private_files import DataDirError, private_dir
from therapy.store import TherapyStore


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask022", "umask000"])
def umask(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def test_device_and_clinic_files_are_private(tmp_path: Path, umask: int,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "home" / "rehab"
    store = TherapyStore(data / "rehab.db")
    record_audit(store, "dev-1", AuditKind.UNLOCKED)  # a write: -wal and -shm exist now
    names = {p.name for p in data.iterdir()}
    assert {"rehab.db", "rehab.db-wal", "rehab.db-shm"} <= names
    save_settings(data, KioskSettings())
    monkeypatch.setattr("sys.stdin", io.StringIO("2580\n"))
    assert main(["kiosk", "pin", "set", "--data-dir", str(data)]) == 0
    clinic = tmp_path / "clinic"
    assert main(["clinic", "keygen", "--data-dir", str(clinic)]) == 0
    cstore = ClinicStore(clinic / "clinic.db")
    cstore.add_resource("dev-1", {"resourceType": "AuditEvent", "id": "x"})
    try:
        for folder in (data, clinic):
            assert _mode(folder) == 0o700, folder
        files = [p for p in (*data.iterdir(), *clinic.iterdir())
                 if not p.name.endswith(".pub")]  # the public key is for sharing
        assert {p.name for p in files} >= {"rehab.db", "rehab.db-wal", "rehab.db-shm",
                                           "kiosk.json", "clinic_ed25519.key", "clinic.db"}
        assert {p.name: oct(_mode(p)) for p in files} == {p.name: "0o600" for p in files}
    finally:
        cstore.close()
        store.close()


def test_files_left_open_by_an_older_version_are_tightened(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    TherapyStore(data / "rehab.db").close()
    for name in ("rehab.db", "rehab.db-wal"):
        (data / name).touch()
        os.chmod(data / name, 0o644)
    TherapyStore(data / "rehab.db").close()
    assert _mode(data) == 0o700 and _mode(data / "rehab.db") == 0o600
    assert not (data / "rehab.db-wal").exists() or _mode(data / "rehab.db-wal") == 0o600


def test_a_shared_folder_is_refused_not_changed(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)  # like /tmp
    with pytest.raises(DataDirError, match="shared"):
        private_dir(shared)
    assert _mode(shared) == 0o1777


def test_root_writing_into_the_kiosk_users_folder_gives_it_the_files(tmp_path: Path) -> None:
    """The installer runs ``sudo rehab kiosk pin set --data-dir /var/lib/rehab`` (and ``code
    set``, a first store) in the folder of the kiosk's service user: each file made goes to
    that user. Made root's 0600, kiosk.json locked the kiosk ("damaged: Permission denied")."""
    if os.geteuid() != 0:
        pytest.fail("this test needs root (make test runs as root or with sudo): it checks "
                    "files root makes in another user's folder")
    uid, gid = 4242, 4243
    data = tmp_path / "var-lib-rehab"
    data.mkdir(mode=0o700)
    os.chown(data, uid, gid)
    for what, secret in (("pin", "2580\n"), ("code", "864213\n")):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("sys.stdin", io.StringIO(secret))
            assert main(["kiosk", what, "set", "--data-dir", str(data)]) == 0
    store = TherapyStore(data / "rehab.db")
    record_audit(store, "dev-1", AuditKind.UNLOCKED)  # -wal and -shm exist now
    try:
        made = {p.name: (p.stat().st_uid, p.stat().st_gid, _mode(p)) for p in data.iterdir()}
        assert {"kiosk.json", "rehab.db", "rehab.db-wal", "rehab.db-shm"} <= set(made)
        assert made == {name: (uid, gid, 0o600) for name in made}
    finally:
        store.close()
    own = private_dir(tmp_path / "roots-own")  # root's own folder keeps root's files
    save_settings(own, KioskSettings())
    assert (own / "kiosk.json").stat().st_uid == 0
