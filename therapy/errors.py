"""Errors of the therapy package. :class:`TherapyError` is the root."""

from __future__ import annotations

from pathlib import Path


class TherapyError(Exception):
    """Root of every therapy-side error (plans, records, the store)."""


class PlanError(TherapyError):
    """A plan that cannot be used. ``path`` names the offending field (``exercises[0].reps``)."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.reason = message


class PlanRejected(PlanError):
    """A plan from the clinic that the device refused (bad signature, older version, expired).

    ``code`` is a short machine-readable reason reported on the status topic.
    """

    def __init__(self, code: str, message: str, version: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.version = version


class StorageError(TherapyError):
    """The device store cannot be used (path in the message, with what to do).

    Raised for faults of the storage itself, never for a bad record: those stay
    ``sqlite3`` constraint errors (a bug to fix, not a fault to report to the patient).
    ``path`` is the database file (or the folder that was to hold it).
    """

    def __init__(self, message: str, path: Path | str | None = None) -> None:
        super().__init__(message)
        self.path = Path(path) if path is not None else None


StoreError = StorageError  # the first name of the class; kept for existing callers


class StorageFull(StorageError):
    """The disk (or the store's size quota) is full: nothing was saved this time."""


class StorageCorrupt(StorageError):
    """The database file is damaged (or is not a database): keep it, call the clinic."""


class StorageUnavailable(StorageError):
    """The data folder or database cannot be reached: missing, a file, no permission,
    read-only, or held by another process."""
