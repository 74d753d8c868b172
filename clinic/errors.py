"""Errors of the clinic side, rooted in :class:`ClinicError`.

``ClinicError`` derives from :class:`mqtt.errors.LinkError` so the callers that caught the
clinic store's LinkError before it moved (CLI commands, the watcher) still catch it.
"""

from __future__ import annotations

from mqtt.errors import LinkError


class ClinicError(LinkError):
    """Root of the clinic side's errors."""


class StoreError(ClinicError):
    """The clinic store cannot be opened or used (path, URL, server, schema)."""


class SchemaTooNew(StoreError):
    """The database was migrated by a newer program; this one must not write it."""

    def __init__(self, where: str, found: int, known: int) -> None:
        super().__init__(f"clinic store {where} has schema version {found} but this program "
                         f"knows versions up to {known}: upgrade rehab-kiosk on this machine "
                         "(the database is left untouched)")
        self.found = found
        self.known = known
