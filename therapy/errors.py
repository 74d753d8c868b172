"""Errors of the therapy package. :class:`TherapyError` is the root."""

from __future__ import annotations


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


class StoreError(TherapyError):
    """The SQLite store could not be opened or migrated (path in the message)."""
