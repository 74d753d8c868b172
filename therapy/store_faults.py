"""SQLite errors that are faults of the storage, told apart from bugs, with what to do.

``storage_fault(exc, path)`` turns an ``sqlite3.Error`` whose primary result code says the
disk, the file or the folder is at fault into a :class:`~therapy.errors.StorageError`
subclass; anything else (a constraint, a programming error) gives None and the caller
re-raises the original. Result codes: https://www.sqlite.org/rescode.html (primary code =
extended code & 0xFF; Python 3.11+ puts it in ``sqlite_errorcode``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from therapy.errors import StorageCorrupt, StorageError, StorageFull, StorageUnavailable

SQLITE_PERM = 3
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13  # also what SQLite reports when write() fails with ENOSPC
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26

DOCTOR_HINT = "`rehab doctor` checks the data folder"


def primary_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def storage_fault(exc: sqlite3.Error, path: Path) -> StorageError | None:
    """The StorageError ``exc`` stands for, or None when it is not a storage fault."""
    code = primary_code(exc)
    if code == SQLITE_FULL:
        return StorageFull(
            f"storage full: {path} could not be written ({exc}); nothing was saved this "
            f"time. Free space on the device or call the clinic; {DOCTOR_HINT}", path)
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return StorageCorrupt(
            f"database damaged: {path} ({exc}). Keep the file as it is (the clinic can try "
            f"to recover it) and call the clinic; {DOCTOR_HINT}", path)
    if code in (SQLITE_PERM, SQLITE_READONLY, SQLITE_CANTOPEN):
        return StorageUnavailable(
            f"cannot use {path} ({exc}): check that its folder exists and that this user "
            f"may write to it; {DOCTOR_HINT}", path)
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        return StorageUnavailable(
            f"{path} is held by another process ({exc}): wait and retry, or stop the other "
            "rehab process", path)
    if code == SQLITE_IOERR:
        return StorageError(
            f"read/write error on {path} ({exc}): the storage card may be failing; call the "
            f"clinic; {DOCTOR_HINT}", path)
    return None


def folder_fault(exc: OSError, folder: Path) -> StorageUnavailable:
    """The data folder cannot be created or used (e.g. ``--data-dir`` names a file)."""
    if folder.exists() and not folder.is_dir():
        what = "is a file, not a folder: name a folder (or a new path) as the data folder"
    else:
        what = f"cannot be created ({exc.strerror or exc}); check the path and its permissions"
    return StorageUnavailable(f"data folder {folder} {what}", folder)
