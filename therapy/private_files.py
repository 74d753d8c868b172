"""Private data files: the data folder 0700, every file in it 0600, whatever the umask.

Health records (``rehab.db`` and its ``-wal``/``-shm``), ``kiosk.json`` (PIN and installer
code hashes) and keys are created through these helpers, so a kiosk started outside systemd
(umask 022, or 000 from a careless shell) writes nothing another local user can read.
SQLite creates ``-wal``/``-shm`` with the permissions of the database file, so creating the
database 0600 first covers them; :func:`private_file` tightens files left by older versions.

A folder that already exists is tightened to 0700 when this user owns it (or is root); a
sticky world-writable folder (``/tmp``) or one owned by someone else is refused rather than
changed. Root writing into a folder another user owns (an installer's ``sudo rehab kiosk pin
set --data-dir /var/lib/rehab`` for the kiosk's service user) gives each file it creates to
the folder's owner: a root-owned 0600 ``kiosk.json`` locked the kiosk out of its own PIN.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from therapy.errors import StoreError

log = logging.getLogger(__name__)
DIR_MODE = 0o700
FILE_MODE = 0o600


class DataDirError(StoreError):
    """The data folder cannot be made private (not ours, shared, or not a folder)."""


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make it 0700; returns it."""
    path = Path(path)
    try:
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        st = path.stat()
    except FileExistsError as exc:
        raise DataDirError(f"data folder {path} is a file, not a folder: "
                           "choose another --data-dir") from exc
    except OSError as exc:
        raise DataDirError(f"cannot create data folder {path}: {exc.strerror}") from exc
    if not stat.S_ISDIR(st.st_mode):
        raise DataDirError(f"data folder {path} is not a folder: choose another --data-dir")
    if stat.S_IMODE(st.st_mode) != DIR_MODE:
        if st.st_mode & stat.S_ISVTX or os.geteuid() not in (0, st.st_uid):
            raise DataDirError(f"data folder {path} is shared (mode "
                               f"{stat.S_IMODE(st.st_mode):o}, owner uid {st.st_uid}): "
                               "use a folder of your own for --data-dir")
        os.chmod(path, DIR_MODE)
        log.info("data folder %s made private (0700)", path)
    return path


def _to_folder_owner(fd: int, folder: Path) -> None:
    """As root, give the open file to ``folder``'s owner when that is another user (the
    service user the folder belongs to); otherwise nothing."""
    if os.geteuid() != 0:
        return
    st = os.stat(folder)
    if st.st_uid != 0:
        os.fchown(fd, st.st_uid, st.st_gid)


def private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if missing; make an existing one 0600."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, FILE_MODE)
        made = True
    except FileExistsError:
        made = False
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW)
        except OSError as exc:
            raise DataDirError(f"cannot open {path}: {exc.strerror}") from exc
    except OSError as exc:
        raise DataDirError(f"cannot create {path}: {exc.strerror}") from exc
    try:
        os.fchmod(fd, FILE_MODE)  # the umask may have taken bits away, never added them
        if made:
            _to_folder_owner(fd, path.parent)
    finally:
        os.close(fd)


def tighten(path: Path) -> None:
    """Make an existing file 0600 (a no-op when it is missing)."""
    try:
        os.chmod(path, FILE_MODE, follow_symlinks=False)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise DataDirError(f"cannot make {path} private: {exc.strerror}") from exc


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically with ``data`` (0600, flushed to disk before the rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC | os.O_NOFOLLOW, FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            os.fchmod(fd, FILE_MODE)
            _to_folder_owner(fd, path.parent)
            f.write(data)
            f.flush()
            os.fsync(fd)
        os.replace(tmp, path)
    except OSError as exc:
        raise DataDirError(f"cannot write {path}: {exc.strerror}") from exc
